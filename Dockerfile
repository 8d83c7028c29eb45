# copilot-threads on Node 24 LTS. Build: `docker build -t copilot-threads .`; run with the .env you
# use elsewhere: `docker run --env-file .env -p 3000:3000 -v copilot-data:/app/data copilot-threads`.
# docs/deploy.md has a compose example, and what tools (bubblewrap) need of a container.

# ── build: the production install (`npm ci --omit=dev`, whose `prepare` compiles dist/), the same
#    command CI checks in a clean copy of the repository (.ci/run, "production install").
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY adapters ./adapters
RUN npm ci --omit=dev --no-audit --no-fund

# ── run: the built bot, its runtime dependencies, and bubblewrap for the tool sandbox.
FROM node:24-bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends bubblewrap ca-certificates git tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# COPILOT_HOME (./data/copilot) and the SQLite store (./data/copilot-threads.sqlite) by default:
# one volume keeps every thread's session across restarts and upgrades.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini as PID 1 passes SIGTERM on to the bot (which stops in order) and reaps the processes tools
# leave behind; node itself, not npm, so no layer in between swallows the signal.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/bin/bot.js"]
