# One image for every mode: `serve`, `work`, or both (the default).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY connectors ./connectors
USER node
EXPOSE 3000
ENTRYPOINT ["node", "--import", "tsx", "src/main.ts"]
CMD ["all"]
