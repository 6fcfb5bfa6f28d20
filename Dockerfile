# cookie-policy: build on the official Rust image, run on a slim Debian.
#
#   docker build -t cookie-policy .
#   docker run --rm cookie-policy keygen
#   docker run -e APP_KEYS__CURRENT=<key> -p 8080:8080 cookie-policy
#
# Both base images are build arguments, so other tags (or local stand-ins, as
# scripts/docker-smoke.sh builds where no container registry is reachable)
# can be used:  --build-arg RUST_IMAGE=... --build-arg RUNTIME_IMAGE=...
# RUST_IMAGE needs Rust 1.89 or newer (the crate's rust-version), cargo and a
# C toolchain; RUNTIME_IMAGE needs useradd and a glibc at least as new as the
# build stage's (use the same Debian release for both: bookworm by default).
# Works with the classic builder and with BuildKit (no BuildKit-only syntax).

ARG RUST_IMAGE=rust:1.89-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---------------------------------------------------------------- build stage
FROM ${RUST_IMAGE} AS build
WORKDIR /build
ENV CARGO_TERM_COLOR=never

# 1. Dependencies only: the manifest and lock file, with stub sources for
#    every target the manifest declares ([[bench]], [[test]], [[example]],
#    [[bin]]: their files must exist for the manifest to load) besides
#    src/main.rs and src/lib.rs. This layer is rebuilt only when Cargo.toml or
#    Cargo.lock change, so a source change does not recompile every crate.
#    (A build.rs, if one is ever added, must be copied in before this step.)
COPY Cargo.toml Cargo.lock ./
RUN set -eu; \
    mkdir -p src; echo 'fn main() {}' > src/main.rs; : > src/lib.rs; \
    for stub in $(awk ' \
      function flush() { if (kind != "") { if (path == "" && name != "") path = dir[kind] "/" name ".rs"; if (path != "") print path }; kind = ""; name = ""; path = "" } \
      BEGIN { dir["bench"] = "benches"; dir["test"] = "tests"; dir["example"] = "examples"; dir["bin"] = "src/bin" } \
      /^[ \t]*\[/ { flush() } \
      /^[ \t]*\[\[bench\]\]/ { kind = "bench" } \
      /^[ \t]*\[\[test\]\]/ { kind = "test" } \
      /^[ \t]*\[\[example\]\]/ { kind = "example" } \
      /^[ \t]*\[\[bin\]\]/ { kind = "bin" } \
      kind != "" && /^[ \t]*(name|path)[ \t]*=/ { v = $0; sub(/^[^"]*"/, "", v); sub(/".*/, "", v); if ($0 ~ /^[ \t]*name/) name = v; else path = v } \
      END { flush() } \
      ' Cargo.toml); do \
      mkdir -p "$(dirname "$stub")"; [ -e "$stub" ] || echo 'fn main() {}' > "$stub"; \
    done; \
    cargo build --release --locked --bin cookie-policy; \
    rm -rf src target/release/cookie-policy target/release/.fingerprint/cookie-policy-* \
      target/release/deps/cookie_policy-* target/release/deps/libcookie_policy-*

# 2. The crate itself (the library embeds README.md as its documentation).
#    The other targets stay stubs: the binary does not use them. The touch
#    makes cargo see the sources as newer than the stub build.
COPY README.md ./
COPY src ./src
RUN touch src/main.rs src/lib.rs \
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
