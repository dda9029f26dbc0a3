# syntax=docker/dockerfile:1
#
# farebox: one image for every role. The command picks the role:
#   docker run farebox serve gateway | serve registry | serve sink | serve scheduler | serve simulator
# Node 24 runs the TypeScript sources directly (type stripping): the only build is the web app's, the rest
# is the production dependencies. Build for linux/amd64: chDB's native library (embedded mode only) is x64 here.
# Checked by deploy/container.test.ts (parsed, never built on the build machines: they have no Docker).

# Stage 1: production node_modules only (npm ci --omit=dev leaves out the `node` devDependency and the
# tooling). vendor/ holds the chDB platform stand-in that package.json's overrides point at.
# chDB's engine (@chdb/lib-linux-x64-gnu, an optional dependency of 540 MB) is left out unless
# EMBEDDED=true: the roles in a container use a ClickHouse server, and production node_modules shrink
# from 610 MiB to 63 MiB (npm run bench:image). Build with --build-arg EMBEDDED=true for an image that
# runs `farebox up`.
FROM node:24-slim AS deps
ARG EMBEDDED=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY vendor/ ./vendor/
RUN set -- --omit=dev --no-audit --no-fund \
  && { [ "$EMBEDDED" = true ] || set -- "$@" --omit=optional; } \
  && npm ci "$@" \
  && npm cache clean --force

# Stage 2: the dashboards web app (web/ → web/dist), built with the dev dependencies (Vite, Preact, ECharts,
# CodeMirror), of which only the built files reach the runtime. --ignore-scripts: building it needs no
# native module, and the `node` devDependency's shim would shadow the image's own Node 24.
FROM node:24-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
COPY vendor/ ./vendor/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY web/ ./web/
RUN node node_modules/vite/bin/vite.js build --config web/vite.config.ts

# Stage 3: the runtime. App files stay root-owned and read-only to the farebox user (uid 10001); its only
# writable place is FAREBOX_HOME.
FROM node:24-slim
LABEL org.opencontainers.image.title="farebox" \
      org.opencontainers.image.description="Streaming data platform for a taxi operator: event log, pre-load, ClickHouse, transforms, reverse ETL" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.base.name="docker.io/library/node:24-slim"

# FAREBOX_HOST: the servers (gateway, registry, ops port) must listen beyond the container's loopback.
ENV NODE_ENV=production \
    FAREBOX_HOME=/var/lib/farebox \
    FAREBOX_HOST=0.0.0.0

RUN groupadd --system --gid 10001 farebox \
  && useradd --system --uid 10001 --gid farebox --home-dir /var/lib/farebox --no-create-home \
       --shell /usr/sbin/nologin farebox \
  && mkdir -p /var/lib/farebox \
  && chown farebox:farebox /var/lib/farebox

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY vendor/ ./vendor/
COPY bin/ ./bin/
COPY src/ ./src/
COPY transform/ ./transform/
COPY pipelines/ ./pipelines/
COPY syncs/ ./syncs/
COPY dashboards/ ./dashboards/
COPY --from=web /app/web/dist ./web/dist/

USER 10001:10001
VOLUME ["/var/lib/farebox"]

# gateway (FAREBOX_PORT), registry (FAREBOX_REGISTRY_PORT), dashboards (FAREBOX_DASHBOARDS_PORT),
# ops: /livez /readyz /metrics (FAREBOX_OPS_PORT)
EXPOSE 8787 8081 8788 9464

# No curl in the slim image: Node's own fetch asks the ops server whether the process is alive.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.FAREBOX_OPS_PORT || 9464) + '/livez', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM reaches node directly (exec form): the role drains, commits and exits within
# FAREBOX_SHUTDOWN_SECONDS (25 s by default); give it a 30 s stop grace period.
ENTRYPOINT ["node", "bin/farebox.js"]
CMD ["serve", "gateway"]
