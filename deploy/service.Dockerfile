# The fleet's other services from Debian's packages, so that
# docker-compose.yml needs no image but Debian's: nginx
# (--build-arg PACKAGES=nginx) and Redis (--build-arg PACKAGES=redis-server).
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG PACKAGES
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${PACKAGES} \
 && rm -rf /var/lib/apt/lists/*
