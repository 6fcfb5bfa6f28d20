#!/usr/bin/env bash
# Smoke test of the Docker image: docker build, docker run, then curl, on a
# machine that may have no container registry. Run as root, from anywhere:
#
#   bash scripts/docker-smoke.sh
#
# 1. Docker: a running daemon, or Debian's docker.io (installed if absent)
#    started with --bridge=none --iptables=false --ip6tables=false (vfs if the
#    default storage driver cannot run a container), and stopped at the end.
# 2. Base images: the official ones, or where a pull fails, stand-ins built
#    from Debian's packages (debootstrap minbase bookworm; for the build stage
#    that plus gcc, libc6-dev, this machine's CA bundle and Rust toolchain),
#    kept as cookie-policy-standin/* tags for the next run.
# 3. BuildKit build with --network host; the container runs with --network
#    host on a free 127.0.0.1 port: no traffic leaves loopback.
#
# 4. docker-compose.yml: Debian's docker-compose brings up nginx, three
#    replicas and Redis on the host's loopback (8080-8083, 6379), and curl
#    checks that a login through nginx on one replica holds on another.
#
# Environment: RUST_IMAGE, RUNTIME_IMAGE (official images to try), IMAGE (tag
# built, default cookie-policy), SMOKE_LOG_DIR (default /tmp/docker-smoke),
# SMOKE_KEEP_DAEMON=1 (leave a dockerd this script started running).
# Prints PASS/FAIL per check, ends with `N passed, M failed`, exits 1 on any failure.
# check's conditions are single-quoted on purpose: check evaluates them, and
# variables used only there are used.
# shellcheck disable=SC2016,SC2034
set -euo pipefail
cd "$(dirname "$0")/.."

RUST_IMAGE="${RUST_IMAGE:-rust:1.89-bookworm}"
RUNTIME_IMAGE="${RUNTIME_IMAGE:-debian:bookworm-slim}"
IMAGE="${IMAGE:-cookie-policy}"
MIN_RUST=1.89
STANDIN_RUNTIME=cookie-policy-standin/debian:bookworm-minbase-r2 # bump r2 when a recipe changes
LOG="${SMOKE_LOG_DIR:-/tmp/docker-smoke}"
WORK="$(mktemp -d /tmp/docker-smoke.XXXXXX)"
SERVER="cookie-policy-smoke-$$"
mkdir -p "$LOG"
export DOCKER_BUILDKIT=1 # the Dockerfile's cache mounts need BuildKit (Debian's docker.io has it built in)
# Debian's client first: it builds with BuildKit without the buildx plugin.
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || DOCKER="$(command -v docker || echo docker)"
DOCKERD_PID="" passed=0 failed=0 START=$SECONDS

say() { echo "== $*"; }
check() { # check "what" 'condition': PASS or FAIL, by the condition's status
  if eval "$2"; then echo "PASS: $1"; passed=$((passed + 1)); else echo "FAIL: $1"; failed=$((failed + 1)); fi
}
die() { echo "FAIL: $*"; failed=$((failed + 1)); exit 1; }
docker() { "$DOCKER" "$@"; }

cleanup() {
  local rc=$?
  set +e
  docker rm -f "$SERVER" "$SERVER-nokey" >/dev/null 2>&1
  [ -z "${COMPOSE_UP:-}" ] || compose down -t 5 >>"$LOG/compose.log" 2>&1
  [ "${SMOKE_KEEP_DAEMON:-0}" = 1 ] || stop_dockerd
  rm -rf "$WORK"
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then echo "FAIL: aborted (exit status $rc)"; failed=1; fi
  say "total $((SECONDS - START))s; logs in $LOG"
  echo "$passed passed, $failed failed"
  exit $((failed > 0)) # an EXIT trap's own status is not the script's
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt_install() {
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"; } \
    >>"$LOG/apt.log" 2>&1 || die "apt-get install $* (see $LOG/apt.log)"
}

# ------------------------------------------------------------------ 1. Docker
daemon_ok() { timeout 20 "$DOCKER" info >/dev/null 2>&1; }
runs_a_container() { # a one-file image (Debian's static tini): mounts a layer, starts a process
  tar -C /usr/bin -ch docker-init | docker import - cookie-policy-smoke-probe >/dev/null 2>&1 &&
    docker run --rm --network host cookie-policy-smoke-probe /docker-init --version >"$LOG/probe.log" 2>&1
}
start_dockerd() { # start_dockerd [storage-driver]
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
  say "starting dockerd${1:+ --storage-driver=$1} (log: $LOG/dockerd.log)"
  dockerd --bridge=none --iptables=false --ip6tables=false ${1:+--storage-driver="$1"} >>"$LOG/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 60); do
    if daemon_ok; then runs_a_container && return 0; break; fi
    kill -0 "$DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  stop_dockerd
  return 1
}
stop_dockerd() {
  [ -n "$DOCKERD_PID" ] || return 0
  kill "$DOCKERD_PID" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$DOCKERD_PID" 2>/dev/null || true
  DOCKERD_PID=""
}

if daemon_ok; then
  say "using the running Docker daemon ($DOCKER)"
else
  if [ ! -x /usr/bin/docker ] || ! command -v dockerd >/dev/null; then say "installing Debian's docker.io"; apt_install docker.io; fi
  DOCKER=/usr/bin/docker
  start_dockerd || start_dockerd vfs || die "dockerd cannot run a container (see $LOG/dockerd.log, $LOG/probe.log)"
fi
say "docker $(docker version -f '{{.Server.Version}}'), storage driver $(docker info -f '{{.Driver}}')"

# ------------------------------------------------------------ 2. base images
have() { docker image inspect "$1" >/dev/null 2>&1; }
pull() { # pull image seconds
  have "$1" && return 0
  say "pulling $1 (at most $2 s)"
  timeout "$2" "$DOCKER" pull -q "$1" >>"$LOG/pull.log" 2>&1 || { say "cannot pull $1: $(tail -n 1 "$LOG/pull.log")"; return 1; }
}

standin_runtime() {
  have "$STANDIN_RUNTIME" && return 0
  command -v debootstrap >/dev/null || apt_install debootstrap
  local mirror rootfs="$WORK/rootfs"
  # The machine's own Debian mirror (deb.debian.org by default).
  mirror="$(grep -rhoE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null | head -n 1 | tr -d '[:space:]' || true)"
  say "debootstrap --variant=minbase bookworm ${mirror:=http://deb.debian.org/debian} (log: $LOG/debootstrap.log)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$LOG/debootstrap.log" 2>&1 || die "debootstrap (see $LOG/debootstrap.log)"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
  : >"$rootfs/etc/resolv.conf"; : >"$rootfs/etc/hostname"
  tar --numeric-owner -C "$rootfs" -c . | docker import --change 'CMD ["bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$STANDIN_RUNTIME" >/dev/null ||
    die "docker import of the bookworm root filesystem"
}

standin_rust() { # sets rust: a build-stage stand-in with this machine's stable Rust
  local sysroot version ctx="$WORK/rust"
  sysroot="$(rustup run stable rustc --print sysroot 2>/dev/null || true)"
  [ -x "$sysroot/bin/cargo" ] || die "no stable Rust toolchain (rustup) on this machine to build the stand-in from"
  version="$("$sysroot/bin/rustc" --version | awk '{print $2}')"
  [ "$(printf '%s\n' "$MIN_RUST" "$version" | sort -V | head -n 1)" = "$MIN_RUST" ] ||
    die "this machine's Rust $version is older than the crate's rust-version $MIN_RUST"
  rust="cookie-policy-standin/rust:$version-bookworm-r2"
  if ! have "$rust"; then
    standin_runtime
    say "building $rust from $sysroot plus gcc and libc6-dev"
    mkdir -p "$ctx/toolchain"
    cp -al "$sysroot/bin" "$sysroot/lib" "$ctx/toolchain/" 2>/dev/null || cp -a "$sysroot/bin" "$sysroot/lib" "$ctx/toolchain/"
    # The machine's CA bundle, so that cargo trusts what the machine trusts (a TLS-inspecting proxy, say).
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/" 2>/dev/null || : >"$ctx/ca-certificates.crt"
    cat >"$ctx/Dockerfile" <<EOF
FROM $STANDIN_RUNTIME
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /tmp/host-ca.crt
RUN if [ -s /tmp/host-ca.crt ]; then cp /tmp/host-ca.crt /etc/ssl/certs/ca-certificates.crt; fi && rm /tmp/host-ca.crt
COPY toolchain/ /usr/local/rust/
ENV CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && rustc --version && cargo --version && cc --version | head -n 1
EOF
    docker build --progress=plain --network host -t "$rust" "$ctx" >"$LOG/standin-rust.log" 2>&1 ||
      die "build of $rust (see $LOG/standin-rust.log)"
  fi
}

: >"$LOG/pull.log"
if pull "$RUNTIME_IMAGE" 120; then runtime="$RUNTIME_IMAGE" rust_wait=1200; else standin_runtime; runtime="$STANDIN_RUNTIME" rust_wait=60; fi
if pull "$RUST_IMAGE" "$rust_wait"; then rust="$RUST_IMAGE"; else standin_rust; fi
BUILD=(build --progress=plain --network host --build-arg "RUST_IMAGE=$rust" --build-arg "RUNTIME_IMAGE=$runtime")
say "build stage: $rust; runtime: $runtime"

# ---------------------------------------------------------- 3. docker build
t0=$SECONDS
docker "${BUILD[@]}" -t "$IMAGE" . >"$LOG/build.log" 2>&1 || { tail -n 30 "$LOG/build.log"; die "docker build -t $IMAGE (see $LOG/build.log)"; }
echo "PASS: docker build -t $IMAGE ($((SECONDS - t0))s, $(($(docker image inspect -f '{{.Size}}' "$IMAGE") / 1000000)) MB)"
passed=$((passed + 1))

# ---------------------------------------------------------------- 4. checks
command -v curl >/dev/null || apt_install curl ca-certificates
free_port() { # a port nothing answers on at 127.0.0.1
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

KEY="$(docker run --rm "$IMAGE" keygen 2>"$LOG/keygen.err" || true)"
check "docker run --rm $IMAGE keygen prints a 44-character key" '[[ "$KEY" =~ ^[A-Za-z0-9+/_-]{43}=$ ]]'
[ -n "$KEY" ] || die "no key from keygen (see $LOG/keygen.err)"

rc=0
timeout 60 "$DOCKER" run --rm --name "$SERVER-nokey" --network host -e APP_SERVER__HOST=127.0.0.1 \
  -e "APP_SERVER__PORT=$(free_port)" "$IMAGE" >/dev/null 2>"$LOG/nokey.err" || rc=$?
echo "  (exit $rc) $(cat "$LOG/nokey.err")"
check "without APP_KEYS__CURRENT the container exits non-zero with one line naming it" \
  '[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(grep -c . "$LOG/nokey.err")" = 1 ] && grep -q APP_KEYS__CURRENT "$LOG/nokey.err"'

PORT="$(free_port)" || die "no free loopback port"
BASE="http://127.0.0.1:$PORT"
docker run -d --name "$SERVER" --network host -e "APP_KEYS__CURRENT=$KEY" -e APP_SERVER__HOST=127.0.0.1 \
  -e "APP_SERVER__PORT=$PORT" --health-interval=2s --health-timeout=5s --health-retries=3 "$IMAGE" >/dev/null ||
  die "docker run -d $IMAGE"
for _ in $(seq 60); do
  curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1 && break
  [ "$(docker inspect -f '{{.State.Running}}' "$SERVER")" = true ] || break
  sleep 0.5
done
curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1 || { docker logs "$SERVER" 2>&1 | tail -n 20; die "the server answers on $BASE within 30 s"; }

body="$(curl -sS --max-time 5 "$BASE/healthz" || true)"
check "GET /healthz -> $body" '[ "$body" = "{\"status\":\"ok\"}" ]'
jar="$WORK/jar"
login="$(curl -sS --max-time 5 -D - -o /dev/null -c "$jar" -b "$jar" "$BASE/login" | tr -d '\r' | grep -i '^set-cookie:' || true)"
echo "  $login"
check "GET /login sets username=alice" 'grep -q "username=alice" <<<"$login"'
check "the login Set-Cookie carries Secure (production profile)" 'grep -qE "; *Secure(;|$)" <<<"$login"'
profile="$(curl -sS --max-time 5 -c "$jar" -b "$jar" "$BASE/profile" || true)"
check "GET /profile with the cookie jar -> $profile" '[ "$profile" = "{\"message\":\"Welcome back, alice!\"}" ]'

# Non-root: the image's user, and the uid the server process really has.
user="$(docker inspect -f '{{.Config.User}}' "$SERVER")"
uid="$(awk '/^Uid:/ {print $2}' "/proc/$(docker inspect -f '{{.State.Pid}}' "$SERVER")/status" 2>/dev/null || true)"
check "the server runs as non-root (User $user, uid ${uid:-unknown})" \
  '[[ -n "$user" && "${user%%:*}" != 0 && "${user%%:*}" != root && -n "$uid" && "$uid" != 0 ]]'

for _ in $(seq 30); do
  health="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$SERVER")"
  [ "$health" = healthy ] && break
  sleep 1
done
check "the HEALTHCHECK (cookie-policy healthcheck) reports healthy within 30 s ($health)" '[ "$health" = healthy ]'

t0=$(date +%s%N)
docker stop -t 10 "$SERVER" >/dev/null || true
stop_ms=$((($(date +%s%N) - t0) / 1000000))
check "docker stop -t 10 returns within 10 s (${stop_ms} ms)" '[ "$stop_ms" -lt 10000 ]'
exit_code="$(docker inspect -f '{{.State.ExitCode}}' "$SERVER")"
docker logs "$SERVER" >"$LOG/server.log" 2>&1 || true
check "the container exits with code 0 after SIGTERM (exit $exit_code)" '[ "$exit_code" = 0 ]'

# ------------------------------------- 5. a source change compiles no dependency
# The cache mounts keep compiled dependencies between builds: rebuild a copy
# of the tree with src/main.rs changed (uniquely, so no layer matches), and
# expect only the workspace's own crates to be compiled.
members="$(for m in Cargo.toml crates/*/Cargo.toml; do [ ! -f "$m" ] || awk -F'"' '/^name *=/ {print $2; exit}' "$m"; done | sort | paste -sd' ' -)"
tar --exclude=./target --exclude=./.git -c . | { mkdir "$WORK/ctx" && tar -C "$WORK/ctx" -x; }
echo "// docker-smoke: a source change $(date +%s%N)" >>"$WORK/ctx/src/main.rs"
t0=$SECONDS
if docker "${BUILD[@]}" -t "$IMAGE-smoke-cache" "$WORK/ctx" >"$LOG/build-cache.log" 2>&1; then
  compiled="$(grep -aoE 'Compiling [^ ]+' "$LOG/build-cache.log" | awk '{print $2}' | sort -u | paste -sd' ' - || true)"
  check "after a source change only the workspace's crates are compiled, no dependency ($((SECONDS - t0))s: ${compiled:-nothing})" \
    '[[ " $compiled " == *" cookie-policy "* ]] && [ -z "$(comm -23 <(tr " " "\n" <<<"$compiled") <(tr " " "\n" <<<"$members"))" ]'
else
  tail -n 20 "$LOG/build-cache.log"
  check "docker build after a source change (see $LOG/build-cache.log)" false
fi
docker rmi "$IMAGE-smoke-cache" >/dev/null 2>&1 || true
[ -z "$DOCKERD_PID" ] || docker image prune -f >/dev/null 2>&1 || true

# ------------------------------------------------ 6. the fleet, with compose
# nginx and Redis images from the same Debian base as the server's runtime,
# then docker-compose.yml as shipped, with a key file of this run.
command -v docker-compose >/dev/null || apt_install docker-compose
compose() { COOKIE_POLICY_KEYS="$WORK/cookie-keys" docker-compose -p cookie-policy-smoke -f docker-compose.yml "$@"; }
busy=""
for p in 8080 8081 8082 8083 6379; do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && busy="$busy $p"; done
if [ -n "$busy" ]; then
  check "the compose fleet's loopback ports are free (in use:$busy)" false
else
  for service in nginx redis-server; do
    docker build --progress=plain --network host --build-arg "BASE=$runtime" --build-arg "PACKAGES=$service" \
      -t "cookie-policy-${service%-server}" -f deploy/service.Dockerfile deploy >"$LOG/build-$service.log" 2>&1 ||
      die "docker build of cookie-policy-${service%-server} (see $LOG/build-$service.log)"
  done
  docker run --rm "$IMAGE" keygen >"$WORK/cookie-keys" 2>>"$LOG/keygen.err"
  chmod 644 "$WORK/cookie-keys" # the server's user (uid 10001) reads it
  COMPOSE_UP=1
  compose up -d --no-build >"$LOG/compose.log" 2>&1 || { tail -n 20 "$LOG/compose.log"; die "docker-compose up"; }
  FRONT=http://localhost:8080
  for _ in $(seq 60); do curl -fsS --max-time 2 "$FRONT/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
  body="$(curl -sS --max-time 5 "$FRONT/healthz" || true)"
  check "docker-compose up: nginx answers /healthz on 127.0.0.1:8080 -> $body" '[ "$body" = "{\"status\":\"ok\"}" ]'
  # curl keeps Secure cookies for localhost over plain HTTP, as browsers do.
  jar="$WORK/compose-jar"
  upstream() { tr -d '\r' <"$1" | sed -n 's/^x-upstream: //Ip'; }
  curl -sS --max-time 5 -D "$WORK/h-login" -o "$WORK/b-login" -c "$jar" -b "$jar" "$FRONT/session/login?user=alice" || true
  first="$(upstream "$WORK/h-login")"
  check "login through nginx on replica ${first:-?} -> $(cat "$WORK/b-login")" '[ "$(cat "$WORK/b-login")" = "{\"message\":\"Logged in as alice\"}" ]'
  from_another() { # from_another PATH: sets other and answer from a replica other than $first
    other="" answer=""
    for _ in 1 2 3 4 5 6; do
      curl -sS --max-time 5 -D "$WORK/h" -o "$WORK/b" -c "$jar" -b "$jar" "$FRONT$1" || true
      if [ "$(upstream "$WORK/h")" != "$first" ]; then other="$(upstream "$WORK/h")" answer="$(cat "$WORK/b")"; return; fi
    done
  }
  from_another /session/me
  check "/session/me served by another replica (${other:-none}) -> $answer" '[ -n "$other" ] && [ "$answer" = "{\"user\":\"alice\"}" ]'
  curl -sS --max-time 5 -o /dev/null -c "$jar" -b "$jar" "$FRONT/login" || true
  from_another /profile
  check "/profile served by another replica (${other:-none}) -> $answer" '[ -n "$other" ] && [ "$answer" = "{\"message\":\"Welcome back, alice!\"}" ]'
  compose down -t 5 >>"$LOG/compose.log" 2>&1 && COMPOSE_UP=""
  check "docker-compose down" '[ -z "$COMPOSE_UP" ]'
fi
