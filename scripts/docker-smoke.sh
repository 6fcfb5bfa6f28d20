#!/usr/bin/env bash
# Checks are written as `check "what" eval '<condition>'`: the single quotes
# are deliberate (expanded by eval), and variables used only there are used.
# shellcheck disable=SC2016,SC2034
# Smoke test of the Docker image: build it with `docker build`, run it with
# `docker run`, and talk to it with curl, on a machine that may have no
# container registry.
#
#   bash scripts/docker-smoke.sh        (as root, from anywhere)
#
# 1. Docker: uses a working daemon if there is one; otherwise installs Debian's
#    docker.io (if absent) and starts dockerd with --bridge=none
#    --iptables=false --ip6tables=false (overlay2, or vfs where overlay2 does
#    not work), and stops it again on exit.
# 2. Base images: pulls the official images named by the Dockerfile's ARGs;
#    where a pull fails, builds local stand-ins from Debian's packages instead
#    (debootstrap minbase bookworm, imported with `docker import`; for the
#    build stage that plus gcc, libc6-dev and this machine's Rust toolchain),
#    and keeps them as tagged images for the next run.
# 3. docker build --network host -t cookie-policy . ; then docker run
#    --network host on a free loopback port, and the checks. All traffic stays
#    on 127.0.0.1: host networking only, no bridge network.
#
# Environment (all optional):
#   RUST_IMAGE, RUNTIME_IMAGE   official images to try (defaults: the Dockerfile's)
#   IMAGE                       tag of the image built (default cookie-policy)
#   SMOKE_LOG_DIR               where logs go (default /tmp/docker-smoke)
#   SMOKE_KEEP_DAEMON=1         leave a dockerd this script started running
#   SMOKE_STORAGE_DRIVER=vfs    storage driver for a dockerd this script starts
#                               (default: dockerd's choice, vfs if that fails)
#
# Prints PASS/FAIL per check and ends with `N passed, M failed`; exits 1 if
# anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."

RUST_IMAGE="${RUST_IMAGE:-rust:1.89-bookworm}"
RUNTIME_IMAGE="${RUNTIME_IMAGE:-debian:bookworm-slim}"
IMAGE="${IMAGE:-cookie-policy}"
MIN_RUST="1.89"
# Stand-ins are cached as these tags; bump STANDIN_REV when their recipe changes.
STANDIN_REV=2
STANDIN_RUNTIME="cookie-policy-standin/debian:bookworm-minbase-r$STANDIN_REV"
STANDIN_RUST_REPO="cookie-policy-standin/rust"
LOG_DIR="${SMOKE_LOG_DIR:-/tmp/docker-smoke}"
mkdir -p "$LOG_DIR"
WORK="$(mktemp -d /tmp/docker-smoke.XXXXXX)"
RUN_ID="$$"
SERVER="cookie-policy-smoke-$RUN_ID"
NOKEY="cookie-policy-smoke-nokey-$RUN_ID"

passed=0
failed=0
DOCKER=""
DOCKERD_PID=""
APT_UPDATED=0
SCRIPT_START=$SECONDS
PHASE_START=$SECONDS

say() { echo "== $*"; }
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # check "description" condition-command...
  local what="$1"; shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
phase() { PHASE_START=$SECONDS; say "$*"; }
phase_done() { say "$1 took $((SECONDS - PHASE_START))s"; }
die() { # a step that the checks cannot do without
  fail "$*"
  exit 1
}

cleanup() {
  local rc=$?
  set +e
  if [ -n "$DOCKER" ]; then
    "$DOCKER" rm -f "$SERVER" "$NOKEY" >/dev/null 2>&1
  fi
  if [ -n "$DOCKERD_PID" ] && [ "${SMOKE_KEEP_DAEMON:-0}" != 1 ]; then
    say "stopping the dockerd this script started (pid $DOCKERD_PID)"
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$DOCKERD_PID" 2>/dev/null; then kill -9 "$DOCKERD_PID" 2>/dev/null; fi
  fi
  rm -rf "$WORK"
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "FAIL: aborted (exit status $rc); logs in $LOG_DIR"
    failed=$((failed + 1))
  fi
  say "total $((SECONDS - SCRIPT_START))s; logs in $LOG_DIR"
  echo "$passed passed, $failed failed"
  if [ "$failed" -ne 0 ]; then exit 1; fi
  exit 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

apt_install() { # apt_install package...
  if [ "$APT_UPDATED" = 0 ]; then
    apt-get update -q >>"$LOG_DIR/apt.log" 2>&1 || die "apt-get update (see $LOG_DIR/apt.log)"
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
    >>"$LOG_DIR/apt.log" 2>&1 || die "apt-get install $* (see $LOG_DIR/apt.log)"
}

# ------------------------------------------------------------------ 1. Docker
pick_client() {
  # Debian's client first: /usr/local/bin/docker may be a stand-in.
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker
  else DOCKER="$(command -v docker || true)"; fi
}

daemon_ok() { [ -n "$DOCKER" ] && timeout 20 "$DOCKER" info >/dev/null 2>&1; }

start_dockerd() { # start_dockerd [storage-driver]
  local driver="${1:-}" log="$LOG_DIR/dockerd${1:+-$1}.log"
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
    rm -f /var/run/docker.pid
  fi
  say "starting dockerd${driver:+ --storage-driver=$driver} (log: $log)"
  dockerd --bridge=none --iptables=false --ip6tables=false \
    ${driver:+--storage-driver="$driver"} >"$log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 60); do
    if daemon_ok; then return 0; fi
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then break; fi
    sleep 1
  done
  echo "dockerd did not come up; last lines of $log:"
  tail -n 15 "$log" | sed 's/^/  /'
  stop_dockerd
  return 1
}

stop_dockerd() {
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    DOCKERD_PID=""
  fi
}

storage_works() {
  # Import a one-file image (Debian's static tini, a docker.io dependency) and
  # run it: this mounts a layer with the storage driver and starts a process.
  local tini dir
  tini="$(readlink -f /usr/bin/tini-static 2>/dev/null || true)"
  [ -x "$tini" ] || tini="$(readlink -f /usr/bin/docker-init 2>/dev/null || true)"
  [ -x "$tini" ] || return 0 # nothing to probe with: let the build find out
  dir="$WORK/probe"
  mkdir -p "$dir"
  cp "$tini" "$dir/tini"
  tar -C "$dir" -c tini | "$DOCKER" import - cookie-policy-smoke-probe:latest >/dev/null 2>&1 || return 1
  "$DOCKER" run --rm --network host cookie-policy-smoke-probe:latest /tini --version \
    >"$LOG_DIR/storage-probe.log" 2>&1 || return 1
  "$DOCKER" rmi cookie-policy-smoke-probe:latest >/dev/null 2>&1 || true
}

phase "1. Docker"
pick_client
if daemon_ok; then
  say "using the running Docker daemon ($DOCKER)"
else
  if ! command -v dockerd >/dev/null 2>&1 || [ ! -x /usr/bin/docker ]; then
    say "installing Debian's docker.io"
    apt_install docker.io
  fi
  pick_client
  if [ -n "${SMOKE_STORAGE_DRIVER:-}" ]; then
    start_dockerd "$SMOKE_STORAGE_DRIVER" || die "dockerd does not start (see $LOG_DIR/dockerd-$SMOKE_STORAGE_DRIVER.log)"
    storage_works || die "dockerd cannot run a container (see $LOG_DIR/dockerd-$SMOKE_STORAGE_DRIVER.log, $LOG_DIR/storage-probe.log)"
  elif start_dockerd && storage_works; then
    :
  else
    say "the default storage driver does not work here; trying vfs"
    stop_dockerd
    start_dockerd vfs || die "dockerd does not start (see $LOG_DIR/dockerd*.log)"
    storage_works || die "dockerd cannot run a container (see $LOG_DIR/dockerd-vfs.log, $LOG_DIR/storage-probe.log)"
  fi
fi
say "docker: client $("$DOCKER" version -f '{{.Client.Version}}' 2>/dev/null), server $("$DOCKER" version -f '{{.Server.Version}}' 2>/dev/null), storage driver $("$DOCKER" info -f '{{.Driver}}' 2>/dev/null)"
phase_done "1. Docker"

# ------------------------------------------------------------ 2. base images
have_image() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

try_pull() { # try_pull image seconds
  if have_image "$1"; then say "$1: present"; return 0; fi
  say "pulling $1 (at most $2 s)"
  if timeout "$2" "$DOCKER" pull -q "$1" >>"$LOG_DIR/pull.log" 2>&1; then return 0; fi
  say "cannot pull $1: $(tail -n 1 "$LOG_DIR/pull.log" 2>/dev/null)"
  return 1
}

build_standin_runtime() {
  if have_image "$STANDIN_RUNTIME"; then say "$STANDIN_RUNTIME: cached"; return 0; fi
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  local mirror rootfs="$WORK/rootfs" t0=$SECONDS
  # The machine's own apt source (deb.debian.org by default).
  mirror="$(grep -rhE '^[[:space:]]*(URIs:|deb[[:space:]])' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | grep -oE 'https?://[^[:space:]]+' | grep -E '/debian/?$' | head -n 1 || true)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  say "debootstrap --variant=minbase bookworm from $mirror (log: $LOG_DIR/debootstrap.log)"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$LOG_DIR/debootstrap.log" 2>&1 \
    || die "debootstrap (see $LOG_DIR/debootstrap.log)"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/tmp/*
  : >"$rootfs/etc/resolv.conf"
  : >"$rootfs/etc/hostname"
  say "debootstrap took $((SECONDS - t0))s"
  tar --numeric-owner -C "$rootfs" -c . | "$DOCKER" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$STANDIN_RUNTIME" >/dev/null \
    || die "docker import of the bookworm root filesystem"
  rm -rf "$rootfs"
  say "imported $STANDIN_RUNTIME"
}

build_standin_rust() { # sets STANDIN_RUST
  local sysroot="" version ctx="$WORK/rust-standin" t0=$SECONDS
  if command -v rustup >/dev/null 2>&1; then
    sysroot="$(rustup run stable rustc --print sysroot 2>/dev/null || true)"
  fi
  if [ -z "${sysroot:-}" ]; then
    for sysroot in "${RUSTUP_HOME:-$HOME/.rustup}"/toolchains/stable-*; do break; done
    [ -d "${sysroot:-}" ] || sysroot=""
  fi
  if [ -z "$sysroot" ] || [ ! -x "$sysroot/bin/rustc" ] || [ ! -x "$sysroot/bin/cargo" ]; then
    die "no stable Rust toolchain (rustup) on this machine to build the stand-in from"
  fi
  version="$("$sysroot/bin/rustc" --version | awk '{print $2}')"
  if [ "$(printf '%s\n%s\n' "$MIN_RUST" "$version" | sort -V | head -n 1)" != "$MIN_RUST" ]; then
    die "this machine's Rust $version is older than the crate's rust-version $MIN_RUST"
  fi
  STANDIN_RUST="$STANDIN_RUST_REPO:$version-bookworm-r$STANDIN_REV"
  if have_image "$STANDIN_RUST"; then say "$STANDIN_RUST: cached"; return 0; fi
  build_standin_runtime
  say "building $STANDIN_RUST from $sysroot (bin/ and lib/) plus gcc and libc6-dev"
  mkdir -p "$ctx/toolchain"
  # Hard links where possible (same file system), copies otherwise.
  cp -al "$sysroot/bin" "$sysroot/lib" "$ctx/toolchain/" 2>/dev/null \
    || { rm -rf "$ctx/toolchain"; mkdir -p "$ctx/toolchain"; cp -a "$sysroot/bin" "$sysroot/lib" "$ctx/toolchain/"; }
  # This machine's CA bundle, so that cargo in the build stage trusts what the
  # machine trusts (for example a TLS-inspecting egress proxy's CA).
  if [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  else
    : >"$ctx/ca-certificates.crt"
  fi
  cat >"$ctx/Dockerfile" <<EOF
FROM $STANDIN_RUNTIME
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY ca-certificates.crt /tmp/host-ca-certificates.crt
RUN if [ -s /tmp/host-ca-certificates.crt ]; then cp /tmp/host-ca-certificates.crt /etc/ssl/certs/ca-certificates.crt; fi \\
 && rm /tmp/host-ca-certificates.crt
COPY toolchain/ /usr/local/rust/
ENV CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RUN mkdir -p /usr/local/cargo/bin && rustc --version && cargo --version && cc --version | head -n 1
EOF
  "$DOCKER" build --force-rm --network host -t "$STANDIN_RUST" "$ctx" >"$LOG_DIR/standin-rust-build.log" 2>&1 \
    || { tail -n 20 "$LOG_DIR/standin-rust-build.log"; die "build of $STANDIN_RUST (see $LOG_DIR/standin-rust-build.log)"; }
  rm -rf "$ctx"
  say "toolchain image took $((SECONDS - t0))s"
}

phase "2. Base images"
: >"$LOG_DIR/pull.log"
BUILD_ARGS=()
if try_pull "$RUNTIME_IMAGE" 120; then
  runtime_base="$RUNTIME_IMAGE"; registry=1
else
  build_standin_runtime
  runtime_base="$STANDIN_RUNTIME"; registry=0
fi
# The Rust image is large: give the pull time where the registry answered.
if try_pull "$RUST_IMAGE" "$([ "$registry" = 1 ] && echo 1200 || echo 60)"; then
  rust_base="$RUST_IMAGE"
else
  build_standin_rust
  rust_base="$STANDIN_RUST"
fi
BUILD_ARGS+=(--build-arg "RUST_IMAGE=$rust_base" --build-arg "RUNTIME_IMAGE=$runtime_base")
say "build stage: $rust_base; runtime: $runtime_base"
phase_done "2. Base images"

# ---------------------------------------------------------- 3. docker build
phase "3. docker build --network host -t $IMAGE . (log: $LOG_DIR/build.log)"
if "$DOCKER" build --force-rm --network host "${BUILD_ARGS[@]}" -t "$IMAGE" . >"$LOG_DIR/build.log" 2>&1; then
  pass "docker build -t $IMAGE ($((SECONDS - PHASE_START))s, image $(( $("$DOCKER" image inspect -f '{{.Size}}' "$IMAGE") / 1000000 )) MB)"
else
  tail -n 30 "$LOG_DIR/build.log"
  die "docker build -t $IMAGE (see $LOG_DIR/build.log)"
fi
phase_done "3. docker build"

# ---------------------------------------------------------------- 4. checks
phase "4. Checks"
command -v curl >/dev/null 2>&1 || apt_install curl ca-certificates

free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 40000))
    # Nothing answers on it (bash connects to 127.0.0.1 only).
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# keygen: the entrypoint is the binary itself.
KEY="$("$DOCKER" run --rm "$IMAGE" keygen 2>"$LOG_DIR/keygen.err" || true)"
check "docker run --rm $IMAGE keygen prints a 44-character key" \
  eval '[[ "$KEY" =~ ^[A-Za-z0-9+/_-]{43}=$ ]]'
[ -n "$KEY" ] || die "no key from keygen (see $LOG_DIR/keygen.err)"

# The production profile refuses to start without a key, in one line.
PORT="$(free_port)" || die "no free loopback port"
set +e
timeout 60 "$DOCKER" run --rm --name "$NOKEY" --network host \
  -e APP_SERVER__HOST=127.0.0.1 -e "APP_SERVER__PORT=$PORT" "$IMAGE" \
  >"$LOG_DIR/nokey.out" 2>"$LOG_DIR/nokey.err"
nokey_rc=$?
set -e
nokey_lines="$(grep -c . "$LOG_DIR/nokey.err" || true)"
echo "  (exit $nokey_rc) $(cat "$LOG_DIR/nokey.err")"
check "without APP_KEYS__CURRENT the container exits non-zero with one line naming it" \
  eval '[ "$nokey_rc" -ne 0 ] && [ "$nokey_rc" -ne 124 ] && [ "$nokey_lines" = 1 ] && grep -q APP_KEYS__CURRENT "$LOG_DIR/nokey.err"'

# The server.
PORT="$(free_port)" || die "no free loopback port"
BASE="http://127.0.0.1:$PORT"
say "docker run -d --network host ... on 127.0.0.1:$PORT"
"$DOCKER" run -d --name "$SERVER" --network host \
  -e "APP_KEYS__CURRENT=$KEY" -e APP_SERVER__HOST=127.0.0.1 -e "APP_SERVER__PORT=$PORT" \
  --health-interval=2s --health-timeout=5s --health-retries=3 \
  "$IMAGE" >/dev/null || die "docker run -d $IMAGE"

up=0
for _ in $(seq 60); do
  if curl -fsS --max-time 2 "$BASE/healthz" >/dev/null 2>&1; then up=1; break; fi
  if [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$SERVER" 2>/dev/null)" != true ]; then break; fi
  sleep 0.5
done
if [ "$up" != 1 ]; then
  "$DOCKER" logs "$SERVER" 2>&1 | tail -n 20
  die "the server answers on $BASE within 30 s"
fi

body="$(curl -sS --max-time 5 "$BASE/healthz" || true)"
check "GET /healthz -> $body" eval '[ "$body" = "{\"status\":\"ok\"}" ]'

jar="$WORK/jar"
login_headers="$(curl -sS --max-time 5 -D - -o "$WORK/login.body" -c "$jar" -b "$jar" "$BASE/login" || true)"
login_cookie="$(printf '%s\n' "$login_headers" | grep -i '^set-cookie:' | tr -d '\r' || true)"
echo "  $login_cookie"
check "GET /login sets username=alice" eval 'printf "%s\n" "$login_cookie" | grep -q "username=alice"'
check "the login Set-Cookie carries Secure (production profile)" \
  eval 'printf "%s\n" "$login_cookie" | grep -qE "; *Secure(;|$)"'
profile="$(curl -sS --max-time 5 -c "$jar" -b "$jar" "$BASE/profile" || true)"
check "GET /profile with the cookie jar -> $profile" \
  eval '[ "$profile" = "{\"message\":\"Welcome back, alice!\"}" ]'

# Non-root: the image's user, and the uid the server process really has.
cfg_user="$("$DOCKER" inspect -f '{{.Config.User}}' "$SERVER")"
pid="$("$DOCKER" inspect -f '{{.State.Pid}}' "$SERVER")"
proc_uid="$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
[ -n "$proc_uid" ] || proc_uid="$("$DOCKER" exec "$SERVER" id -u 2>/dev/null || true)"
check "the server runs as non-root (User $cfg_user, uid ${proc_uid:-unknown})" \
  eval '[ -n "$cfg_user" ] && [ "${cfg_user%%:*}" != 0 ] && [ "${cfg_user%%:*}" != root ] && [ -n "$proc_uid" ] && [ "$proc_uid" != 0 ]'

health=""
for _ in $(seq 30); do
  health="$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$SERVER")"
  [ "$health" = healthy ] && break
  sleep 1
done
check "the HEALTHCHECK (cookie-policy healthcheck) reports healthy within 30 s ($health)" \
  eval '[ "$health" = healthy ]'

t0=$(date +%s.%N)
"$DOCKER" stop -t 10 "$SERVER" >/dev/null || true
t1=$(date +%s.%N)
stop_s="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')"
check "docker stop -t 10 returns within 10 s (${stop_s}s)" \
  eval 'awk -v s="$stop_s" "BEGIN {exit !(s < 10)}"'
exit_code="$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$SERVER")"
"$DOCKER" logs "$SERVER" >"$LOG_DIR/server.log" 2>&1 || true
check "the container exits with code 0 after SIGTERM (exit $exit_code)" \
  eval '[ "$exit_code" = 0 ]'
phase_done "4. Checks"

# ------------------------------------------------ 5. the dependency layer
# A source change must not recompile every crate: rebuild from a copy of the
# tree with one source file changed, and expect the dependency layer (the
# stub build) to come from the cache.
phase "5. Source change reuses the dependency layer (log: $LOG_DIR/build-cache.log)"
ctx="$WORK/ctx"
mkdir -p "$ctx"
tar --exclude=./target --exclude=./.git --exclude=./fuzz -C . -c . | tar -C "$ctx" -x
echo "// docker-smoke: a source change" >>"$ctx/src/main.rs"
if "$DOCKER" build --force-rm --network host "${BUILD_ARGS[@]}" -t "$IMAGE-smoke-cache" "$ctx" \
  >"$LOG_DIR/build-cache.log" 2>&1; then
  rebuild_s=$((SECONDS - PHASE_START))
  # Classic builder: " ---> Using cache" after the step; BuildKit: "#N CACHED".
  check "after a source change the dependency layer is cached and only the crate is rebuilt (${rebuild_s}s)" \
    eval 'grep -a -A2 -E "RUN set -eu; +mkdir -p src;" "$LOG_DIR/build-cache.log" | grep -qiE "using cache|CACHED" \
      && [ "$(grep -ac "Compiling" "$LOG_DIR/build-cache.log")" = 1 ]'
else
  tail -n 20 "$LOG_DIR/build-cache.log"
  fail "docker build after a source change (see $LOG_DIR/build-cache.log)"
fi
"$DOCKER" rmi "$IMAGE-smoke-cache" >/dev/null 2>&1 || true
if [ -n "$DOCKERD_PID" ]; then
  # Layers of earlier builds that no tag uses any more (only on a daemon this
  # script started).
  "$DOCKER" image prune -f >/dev/null 2>&1 || true
fi
phase_done "5. Source change reuses the dependency layer"
