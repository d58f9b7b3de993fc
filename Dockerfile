# syntax=docker/dockerfile:1
# Gantry's own image: the built server (dist/), the dashboard (web/dist/), the config schema and the
# production dependencies on Node 24, run as the unprivileged `node` user.
#   docker build -t gantry .
#   docker run -d -p 7070:7070 -v gantry-data:/data -v "$PWD/gantry.yaml:/app/gantry.yaml:ro" gantry
# The first start prints the admin token once and keeps it in /data/admin-token. Services run as
# processes inside the container (the process runtime), so their runtime must be in the image too:
# Node is; for Python, build FROM this image and add it.

ARG NODE_IMAGE=node:24-bookworm-slim

# 1. Build: every dependency, then the server's bundle (dist/) and the dashboard (web/dist/).
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
# With the lock present, `npm install` installs exactly the locked versions (the lock lists every
# platform's optional packages). Its `dependencies` script builds the dashboard.
RUN --mount=type=cache,target=/root/.npm npm install --no-audit --no-fund && npm run build

# 2. Production dependencies only; none of them needs an install script.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm install --omit=dev --ignore-scripts --no-audit --no-fund

# 3. Runtime: no compiler, no sources, no dev dependencies.
FROM ${NODE_IMAGE} AS runtime
# The Node flags and malloc setting of `npm start`, for a light idle server (npm run bench:memory):
# a 4 MB young generation and no Maglev tier (in ENTRYPOINT: NODE_OPTIONS refuses --no-maglev), and
# malloc giving freed memory back. A busy server may prefer V8's defaults: --entrypoint node, or
# -e GLIBC_TUNABLES=. The data plane processes choose their own flags (GANTRY_DATA_PLANE_NODE_FLAGS,
# docs/data-plane.md).
ENV NODE_ENV=production \
    GLIBC_TUNABLES=glibc.malloc.trim_threshold=1048576 \
    GANTRY_HEALTHCHECK_URL=http://127.0.0.1:7070/health
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/dist ./dist
COPY --from=build /src/web/dist ./web/dist
COPY --from=build /src/schema ./schema
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 7070
VOLUME /data
# The slim image has no curl: Node's fetch asks /health (served without a token).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.GANTRY_HEALTHCHECK_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=4", "--no-maglev", "dist/main.js"]
CMD ["server", "--listen", "0.0.0.0:7070", "--data-dir", "/data"]
