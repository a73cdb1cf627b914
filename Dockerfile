# vigil: `docker build -t vigil .`, then run with the config mounted at /etc/vigil/vigil.yml (see docker-compose.yml).
# Build stage: node:20 has the compilers better-sqlite3 needs when no prebuilt binary fits.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

# Runtime stage: same Debian release as the build stage, so the native module links against the same glibc.
FROM node:20-bookworm-slim
# iputils-ping for `type: ping` targets (it holds cap_net_raw, so vigil itself needs no privileges).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iputils-ping \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 vigil \
 && useradd --system --uid 10001 --gid vigil --home-dir /var/lib/vigil --shell /usr/sbin/nologin vigil \
 && mkdir -p /etc/vigil/data /var/lib/vigil \
 && chown vigil:vigil /etc/vigil/data /var/lib/vigil
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The generator reads its Handlebars templates at run time from src/generate/templates (relative to dist/).
COPY --from=build /app/src/generate/templates ./src/generate/templates
# The status page's stylesheet and script, served by vigil itself from src/web/assets.
COPY --from=build /app/src/web/assets ./src/web/assets
USER vigil
# A relative `state:` in the config (the example's ./data/vigil.db) lands in /etc/vigil/data: mount a volume there.
VOLUME ["/etc/vigil/data"]
EXPOSE 9977
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["serve", "--config", "/etc/vigil/vigil.yml"]
