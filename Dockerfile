# One image for every mode: `start serve` (HTTP host), `worker` (BullMQ workers, /metrics on
# METRICS_PORT), or both (`start`, the default). It runs the compiled build with plain node.
#
#   docker build -t service-manager .
#   docker run --env-file .env -p 3000:3000 service-manager            # host and workers
#   docker run --env-file .env service-manager worker                  # workers only
#   docker run --env-file .env service-manager doctor                  # check Redis and keys

# -- build: all dependencies, TypeScript → dist/ ------------------------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts ./scripts
COPY src ./src
COPY connectors ./connectors
RUN npm run build

# -- production dependencies only (no tsx, no esbuild, no TypeScript) --------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# TypeScript's native compiler (27 MB) is reached only through devDependencies, but the lock file
# marks it optional rather than dev, so --omit=dev keeps it; nothing at run time loads it.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force && rm -rf node_modules/@typescript

# -- runtime ------------------------------------------------------------------------------------
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# In a container the published port is the boundary; the demo default (127.0.0.1) would be unreachable.
ENV HOST=0.0.0.0
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# "type": "module" lives there: without it node would read dist/ as CommonJS.
COPY package.json ./
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
# Files stay root-owned and read-only to the process; it writes nothing inside the image.
USER node
EXPOSE 3000 9464
# Alive, not ready: a host answers /healthz on PORT, a worker /metrics on METRICS_PORT. Readiness
# (/readyz, Redis reachable) is for load balancers and compose's depends_on, not for restarts.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
# node is PID 1 and handles SIGTERM itself (stop accepting, finish jobs, close connections).
ENTRYPOINT ["node", "--enable-source-maps", "dist/src/runtime/cli/main.js"]
CMD ["start"]
