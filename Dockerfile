# cookie-policy: build on the official Rust image, run on a slim Debian.
#
#   docker build -t cookie-policy .
#   docker run --rm cookie-policy keygen
#   docker run -e APP_KEYS__CURRENT=<key> -p 8080:8080 cookie-policy
#
# Needs BuildKit (the default builder since Docker 23; DOCKER_BUILDKIT=1 on
# older engines) for its cache mounts. Both base images are build arguments,
# so other tags (or the local stand-ins scripts/docker-smoke.sh builds where
# no container registry is reachable) can be used:
#   --build-arg RUST_IMAGE=... --build-arg RUNTIME_IMAGE=...
# RUST_IMAGE needs Rust 1.89 or newer, cargo and a C toolchain, with
# CARGO_HOME=/usr/local/cargo; RUNTIME_IMAGE needs useradd and a glibc at
# least as new as the build stage's (use one Debian release for both).

ARG RUST_IMAGE=rust:1.89-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------- build stage
FROM ${RUST_IMAGE} AS build
WORKDIR /build
ENV CARGO_TERM_COLOR=never

# The workspace as .dockerignore lets it in: the manifests and lock file, the
# server's sources and README.md (its doctests embed it), and crates/ (the
# library, with its own README.md).
COPY . .

# The registry and target/ live in cache mounts, which outlast the build, so
# dependencies are compiled again only when the lock file changes them.
# Cargo judges the workspace's own crates by file times, and the mount may
# hold a build of other sources with later times: the touch makes it compile
# them from what was just copied. The binary is copied out of the mount,
# which the image does not keep.
RUN --mount=type=cache,id=cookie-policy-registry,target=/usr/local/cargo/registry \
    --mount=type=cache,id=cookie-policy-target,target=/build/target \
    find . -path ./target -prune -o -name '*.rs' -exec touch {} + \
 && cargo build --release --locked --bin cookie-policy \
 && install -D -m 0755 target/release/cookie-policy /out/cookie-policy

# -------------------------------------------------------------- runtime stage
FROM ${RUNTIME_IMAGE}

# An unprivileged system user; numeric in USER so that runtimes that require
# a non-root image (runAsNonRoot) can verify it.
RUN groupadd --system --gid 10001 cookie-policy \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin cookie-policy

COPY --from=build /out/cookie-policy /usr/local/bin/cookie-policy
COPY config/ /etc/cookie-policy/

# The production profile, listening on every interface of the container.
# Anything else is set the same way at `docker run -e`: APP_<SECTION>__<KEY>.
# The key is never baked in: pass APP_KEYS__CURRENT at run time.
ENV APP_ENV=production \
    APP_CONFIG_DIR=/etc/cookie-policy \
    APP_SERVER__HOST=0.0.0.0 \
    APP_SERVER__PORT=8080

USER 10001:10001
EXPOSE 8080

# Needs no curl: the binary GETs /healthz over loopback on the configured port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["cookie-policy", "healthcheck"]

# The server stops gracefully on SIGTERM (docker stop); it runs as PID 1 with
# its own handler, so no init is needed.
STOPSIGNAL SIGTERM
ENTRYPOINT ["cookie-policy"]
CMD ["serve"]
