# restorable in a container: the image the Kubernetes CronJob in deploy/ runs.
#   docker build -t restorable .
#   docker run --rm -v /srv/backups:/backups:ro -v restorable-state:/state restorable scan /backups
# It runs as a user without privileges and writes only to /state and /tmp, so the root
# file system can be read-only (readOnlyRootFilesystem: true).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
# The decompressors restorable reads archives through (gzip is read in process), and
# pg_restore for pg_dump custom-format files.
RUN apt-get update \
 && apt-get install -y --no-install-recommends zstd xz-utils bzip2 lz4 lzop postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/restorable
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/bin ./bin
COPY --from=build /src/dist ./dist
RUN groupadd --gid 10001 restorable && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /state restorable \
 && mkdir -p /state && chown 10001:10001 /state
ENV XDG_STATE_HOME=/state HOME=/state NO_COLOR=1
VOLUME ["/state"]
USER 10001:10001
ENTRYPOINT ["node", "/opt/restorable/bin/restorable.js"]
CMD ["--help"]
