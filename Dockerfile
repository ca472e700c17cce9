# One image for all cinderflow services (cinder-api, cinder-scheduler, cinder-volume, cinder-backup,
# glance-api, glance-scrubber, glance-task-worker), built from output staged on the host: the build
# itself needs no network.
#
#   npm ci && npm run image       # scripts/build-image.sh: npm run build, production node_modules
#                                 # into .image/, then docker build -t cinderflow:local .
#   docker run --rm --init cinderflow:local node apps/cinder-scheduler/dist/main.js
#
# .dockerignore sends only .image/ as the build context.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# The services run as `cinder` (as Cinder's own packages do), not root. The data folders are created
# here, owned by it, so that named volumes mounted on them start out writable by the service.
RUN groupadd --system --gid 10001 cinder \
    && useradd --system --uid 10001 --gid cinder --home-dir /var/lib/cinder --no-create-home \
      --shell /usr/sbin/nologin cinder \
    && mkdir -p /var/lib/cinder/volumes /var/lib/cinder/backups /var/lib/glance/images \
    && chown -R cinder:cinder /var/lib/cinder /var/lib/glance

# Application code stays owned by root (read-only to the service user).
COPY .image/ /app/

USER cinder
EXPOSE 8776

# No init of its own: compose gives each service one (`init: true`), `docker run --init` does too.
CMD ["node", "apps/cinder-api/dist/main.js"]
