# One image for every mode: `serve` (HTTP host), `work` (BullMQ workers, /metrics on METRICS_PORT),
# or both (`all`, the default).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# In a container the published port is the boundary; the demo default (127.0.0.1) would be unreachable.
ENV HOST=0.0.0.0
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY connectors ./connectors
USER node
EXPOSE 3000 9464
# node is PID 1 and handles SIGTERM itself (stop accepting, finish jobs, close connections).
ENTRYPOINT ["node", "--import", "tsx", "src/runtime/main.ts"]
CMD ["all"]
