# syntax=docker/dockerfile:1

# ---- build: install everything, compile the API, contracts and console, then drop dev deps ----
FROM node:20-bookworm-slim AS build

# better-sqlite3 (the embedded development database) compiles from source when no prebuilt
# binary can be fetched; argon2 ships prebuilds but falls back to the same toolchain.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Manifests first, so source edits reuse the cached `npm ci` layer.
COPY package.json package-lock.json ./
COPY libs/contracts/package.json libs/contracts/
COPY apps/api/package.json apps/api/
COPY apps/console/package.json apps/console/
RUN npm ci --no-audit --no-fund

COPY tsconfig.base.json ./
COPY libs/contracts libs/contracts
COPY apps/api apps/api
COPY apps/console apps/console
RUN npm run build

# Assemble exactly what runs into /out: production node_modules (workspace links included),
# compiled code, the console bundle, and apps/api/src because the handlebars pages and email
# templates are read from there at runtime. Compiled tests and benchmarks stay behind.
# The console is only its built files at runtime: taking it out of the workspaces before pruning
# drops React, MUI and react-admin from node_modules (about 300 MB).
RUN node -e "const fs = require('fs'); const p = JSON.parse(fs.readFileSync('package.json', 'utf8')); \
      p.workspaces = p.workspaces.filter((w) => w !== 'apps/console'); fs.writeFileSync('package.json', JSON.stringify(p, null, 2) + '\n');" \
 && npm prune --omit=dev --no-audit --no-fund \
 && mkdir -p /out/libs/contracts /out/apps/api /out/apps/console /out/data \
 && cp -a package.json package-lock.json node_modules /out/ \
 && cp -a libs/contracts/package.json libs/contracts/dist /out/libs/contracts/ \
 && cp -a apps/api/package.json apps/api/dist apps/api/src /out/apps/api/ \
 && rm -rf /out/apps/api/dist/test /out/apps/api/dist/bench /out/apps/api/dist/tsconfig.tsbuildinfo \
 && if [ -d apps/api/node_modules ]; then cp -a apps/api/node_modules /out/apps/api/; fi \
 && cp -a apps/console/dist /out/apps/console/ \
 && test -f /out/apps/console/dist/index.html \
 && test -f /out/apps/api/dist/src/main.js

# ---- runtime: no compiler, no dev dependencies, not root ----
FROM node:20-bookworm-slim AS runtime

ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data

WORKDIR /app
COPY --from=build --chown=root:root /out/ /app/
# DATA_DIR is the only place the app may write; the code stays owned by root, read-only to it.
RUN chown node:node /app/data

USER node
EXPOSE 3000
CMD ["node", "apps/api/dist/src/main.js"]
