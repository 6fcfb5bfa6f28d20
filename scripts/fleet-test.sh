#!/usr/bin/env bash
# A fleet on this machine: three cookie-policy instances (production profile,
# one key file, one Redis) behind nginx (deploy/nginx.conf), all on loopback,
# driven by clients with cookie jars (scripts/fleet_client.py) while:
#
#   (a) each instance in turn is stopped with SIGTERM and started again;
#   (b) the key is rotated in three stages with SIGHUP, as the README says:
#       the new key added as previous everywhere, then promoted, then the
#       old one dropped;
#   (c) one instance is killed with SIGKILL and started again;
#   (d) a control: the key replaced in one step, without the procedure,
#       which must log the clients out (else the count of sessions lost
#       above would prove nothing).
#
#   scripts/fleet-test.sh            (from anywhere; as root, it installs
#                                     nginx, redis-server and wrk if missing)
#
# Each client logs in with /login and /session/login, then reads /profile
# and /session/me over one kept-alive connection through nginx. Prints, per
# phase, the requests sent, failed (transport error or unexpected status) and
# sessions lost (a logged-in client answered as logged out), with the
# requests nginx passed to a second instance (its access log); each
# instance's peak RSS over all its lifetimes; and requests per second through
# nginx and to one instance direct, measured in this run.
#
# Exits 1 when (a) or (b) fail a request or lose a session, when (c) loses a
# session or fails more than KILL_FAILURES_ALLOWED requests, or when (d)
# loses none. (c)'s bound: nginx retries a GET the killed instance had taken
# as long as no byte of its answer had reached the client, so only a request
# whose answer was cut mid-way can fail; each client has at most one request
# in flight, hence at most CLIENTS.
#
# Each phase's clients run from GAP_SECONDS before its first event to
# GAP_SECONDS after its last, with GAP_SECONDS between two events; each event
# is timed in the log, and a phase fails if its clients had stopped by then.
#
# Environment: GAP_SECONDS (2), CLIENTS (16), KILL_FAILURES_ALLOWED
# (CLIENTS), CARGO_TARGET_DIR. Logs stay in a temporary folder, printed on
# failure. Runs in about a minute once the release build is done.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
[[ $TARGET == /* ]] || TARGET="$ROOT/$TARGET"
GAP_SECONDS=${GAP_SECONDS:-2} CLIENTS=${CLIENTS:-16}
KILL_FAILURES_ALLOWED=${KILL_FAILURES_ALLOWED:-$CLIENTS}
WORK="$(mktemp -d /tmp/fleet-test.XXXXXX)"
BIN="$TARGET/release/cookie-policy"
declare -a PID=() PORT=() PEAK=()
REDIS_PID="" NGINX_PID="" DRIVER="" STATUS=0

log() { echo "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  local rc=$?
  set +e
  for p in "$DRIVER" "${PID[@]}" "$NGINX_PID" "$REDIS_PID"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "$rc" -eq 0 ]; then rm -rf "$WORK"; else log "fleet-test: exit $rc; logs in $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need=()
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v redis-server >/dev/null || need+=(redis-server)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "install ${need[*]} (apt-get install -y ${need[*]})"
  log "== apt-get install ${need[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

log "== cargo build --release --bin cookie-policy"
(cd "$ROOT" && cargo build --release --locked --bin cookie-policy >&2)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for URL: until it answers, 15 s at most
  for _ in $(seq 150); do curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
rss_peak() { # rss_peak I: keep instance I's peak RSS (kB) over its lifetimes
  local kb
  kb=$(awk '/^VmHWM:/ {print $2}' "/proc/${PID[$1]}/status" 2>/dev/null || echo 0)
  [ "${kb:-0}" -gt "${PEAK[$1]:-0}" ] && PEAK[$1]=$kb
  return 0
}
PHASE_START=$EPOCHREALTIME
event() { # event TEXT: what the script did, and when, in the phase's log
  log "  $(awk -v a="$PHASE_START" -v b="$EPOCHREALTIME" 'BEGIN {printf "%5.2f s", b - a}')  $*"
}

# One Redis, one key file, three instances.
REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT") 2>/dev/null && break; sleep 0.05; done
KEYS="$WORK/keys"
OLD_KEY="$("$BIN" keygen)" NEW_KEY="$("$BIN" keygen)"
write_keys() { (umask 077 && printf '%s\n' "$@" >"$KEYS.next") && mv "$KEYS.next" "$KEYS"; } # replaced whole, never read half-written
write_keys "$OLD_KEY"

start() { # start I: instance I on its port, until /healthz answers
  local i=$1
  APP_ENV=production APP_CONFIG_DIR="$ROOT/config" APP_SERVER__HOST=127.0.0.1 \
    APP_SERVER__PORT="${PORT[$i]}" APP_SERVER__WORKERS=1 APP_KEYS__FILE="$KEYS" \
    APP_SESSIONS__STORE=redis APP_SESSIONS__REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    RUST_LOG=warn,cookie_policy=info "$BIN" >>"$WORK/instance$i.log" 2>&1 &
  PID[i]=$!
  wait_for "http://127.0.0.1:${PORT[$i]}/healthz" || die "instance $i does not start; $(tail -n 5 "$WORK/instance$i.log")"
}
stop() { # stop I SIGNAL: until the process has exited
  local i=$1
  rss_peak "$i"
  kill "-$2" "${PID[$i]}"
  wait "${PID[$i]}" 2>/dev/null || true
}
for i in 0 1 2; do PORT[i]=$(free_port); start "$i"; done

# nginx with the shipped configuration, on the ports picked here.
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/temp"
chmod 711 "$WORK" # nginx's workers (nobody, when the master is root) reach temp/ through it
sed -e "s/127.0.0.1:8080/127.0.0.1:$NGINX_PORT/" \
  -e "s/127.0.0.1:8081/127.0.0.1:${PORT[0]}/" \
  -e "s/127.0.0.1:8082/127.0.0.1:${PORT[1]}/" \
  -e "s/127.0.0.1:8083/127.0.0.1:${PORT[2]}/" \
  "$ROOT/deploy/nginx.conf" >"$WORK/nginx/nginx.conf"
"$NGINX" -t -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/check.log" 2>&1 ||
  die "nginx refuses the configuration: $(cat "$WORK/nginx/check.log")"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
FRONT="127.0.0.1:$NGINX_PORT"
ACCESS="$WORK/nginx/logs/access.log"
wait_for "http://$FRONT/healthz" || die "nginx does not answer; $(cat "$WORK/nginx/logs/error.log")"
served_by=$(for _ in 1 2 3 4 5 6; do curl -fsS -D - -o /dev/null "http://$FRONT/healthz" | tr -d '\r' | sed -n 's/^x-upstream: //Ip'; done | sort -u | wc -l)
[ "$served_by" -eq 3 ] || die "nginx spread 6 requests over $served_by instances, not 3"
# A form body larger than nginx's memory buffer goes through temp/: 404
# from an instance, not 500 from a worker that cannot write there.
posted=$(head -c 20000 /dev/zero | tr '\0' a | curl -sS -o /dev/null -w '%{http_code}' --data-binary @- "http://$FRONT/no-such-form")
[ "$posted" = 404 ] || die "a 20 kB POST through nginx answered $posted, not 404; $(tail -n 3 "$WORK/nginx/logs/error.log")"

declare -A SENT=() FAILED=() LOST=() RESENT=() RETRIED=() MARK=()
RESULTS="$WORK/results"
drive() { # drive PHASE: the clients through nginx, in the background, until finish
  MARK[$1]=$(wc -l <"$ACCESS")
  PHASE_START=$EPOCHREALTIME
  # 60 s: a bound should finish never come.
  python3 "$ROOT/scripts/fleet_client.py" "$FRONT" "$WORK/stop.$1" 60 "$CLIENTS" >"$RESULTS.$1" 2>"$WORK/client.$1.log" &
  DRIVER=$!
  gap # every client logged in and busy before the phase's first event
}
gap() { sleep "$GAP_SECONDS"; }
finish() { # finish PHASE: traffic after the last event, then stop the clients and record their totals
  gap
  kill -0 "$DRIVER" 2>/dev/null || die "phase $1: the clients stopped before the phase's end (see $WORK/client.$1.log)"
  touch "$WORK/stop.$1"
  wait "$DRIVER" || die "the clients of phase $1 failed: $(tail -n 5 "$WORK/client.$1.log")"
  DRIVER=""
  local sent failed lost resent
  read -r sent failed lost resent < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["sent"], r["failed"], r["lost"], r["resent"])' "$RESULTS.$1")
  SENT[$1]=$sent FAILED[$1]=$failed LOST[$1]=$lost RESENT[$1]=$resent
  # A request nginx passed on lists more than one instance in its log line.
  RETRIED[$1]=$(tail -n +"$((MARK[$1] + 1))" "$ACCESS" | grep -c 'upstream=\[[^]]*,' || true)
  log "phase $1: ${SENT[$1]} sent, ${FAILED[$1]} failed, ${LOST[$1]} sessions lost; nginx passed ${RETRIED[$1]} on to another instance"
  if [ -s "$WORK/client.$1.log" ]; then sed 's/^/  /' "$WORK/client.$1.log" | head -n 10 >&2; fi
}
reload_all() { # reload_all: SIGHUP every instance, then wait for each to log the reload
  local i want
  for i in 0 1 2; do
    want=$(($(grep -c "keys reloaded" "$WORK/instance$i.log" || true) + 1))
    kill -HUP "${PID[$i]}"
    for _ in $(seq 100); do
      [ "$(grep -c "keys reloaded" "$WORK/instance$i.log" || true)" -ge "$want" ] && break
      sleep 0.05
    done
    [ "$(grep -c "keys reloaded" "$WORK/instance$i.log" || true)" -ge "$want" ] || die "instance $i did not reload its keys"
  done
  event "SIGHUP x3: $(grep -h "keys reloaded" "$WORK/instance0.log" | tail -n 1 | sed 's/.*keys reloaded: //')"
}

log "== (a) restart each instance with SIGTERM"
drive a
for i in 0 1 2; do
  [ "$i" -eq 0 ] || gap
  event "instance $i: SIGTERM"
  stop "$i" TERM
  event "instance $i: exited"
  start "$i"
  event "instance $i: started, /healthz answers"
done
finish a

log "== (b) rotate the key in three stages with SIGHUP"
drive b
write_keys "$OLD_KEY" "$NEW_KEY" && reload_all && gap # 1. the new key verifies everywhere
write_keys "$NEW_KEY" "$OLD_KEY" && reload_all && gap # 2. it seals everywhere
write_keys "$NEW_KEY" && reload_all                   # 3. the old key is gone
finish b

log "== (c) kill one instance with SIGKILL, start it again"
drive c
event "instance 1: SIGKILL"
stop 1 KILL
sleep 1
start 1
event "instance 1: started, /healthz answers"
finish c

log "== (d) control: the key replaced in one step, without the procedure"
drive d
write_keys "$("$BIN" keygen)" && reload_all
finish d

for i in 0 1 2; do rss_peak "$i"; done

log "== throughput: /profile through nginx, and to one instance direct"
rate() { wrk -t2 -c32 -d3s -H "Cookie: username=alice" "http://$1/profile" | awk '/Requests\/sec/ {printf "%d", $2}'; }
THROUGH=$(rate "$FRONT")
DIRECT=$(rate "127.0.0.1:${PORT[0]}")
mib() { awk -v kb="$1" 'BEGIN {printf "%.1f MiB", kb / 1024}'; }

echo
echo "| phase | requests | failed | sessions lost | passed on by nginx |"
echo "|---|---:|---:|---:|---:|"
echo "| (a) SIGTERM restarts | ${SENT[a]} | ${FAILED[a]} | ${LOST[a]} | ${RETRIED[a]} |"
echo "| (b) key rotation by SIGHUP | ${SENT[b]} | ${FAILED[b]} | ${LOST[b]} | ${RETRIED[b]} |"
echo "| (c) SIGKILL and restart | ${SENT[c]} | ${FAILED[c]} | ${LOST[c]} | ${RETRIED[c]} |"
echo "| (d) control: key replaced in one step | ${SENT[d]} | ${FAILED[d]} | ${LOST[d]} | ${RETRIED[d]} |"
echo
echo "$CLIENTS clients; requests resent on a new connection after nginx closed a kept-alive one: $((RESENT[a] + RESENT[b] + RESENT[c] + RESENT[d]))"
echo "peak RSS (VmHWM, over all lifetimes): instance 0 $(mib "${PEAK[0]}"), instance 1 $(mib "${PEAK[1]}"), instance 2 $(mib "${PEAK[2]}")"
echo "GET /profile, wrk -t2 -c32 -d3s on $(nproc) CPUs: $THROUGH req/s through nginx (3 instances, 1 worker each), $DIRECT req/s to one instance direct"

for phase in a b; do
  if [ "${FAILED[$phase]}" -ne 0 ] || [ "${LOST[$phase]}" -ne 0 ]; then
    log "FAIL: phase ($phase) must lose nothing"
    STATUS=1
  fi
done
if [ "${FAILED[c]}" -gt "$KILL_FAILURES_ALLOWED" ] || [ "${LOST[c]}" -gt 0 ]; then
  log "FAIL: phase (c): ${FAILED[c]} failed (at most $KILL_FAILURES_ALLOWED allowed), ${LOST[c]} sessions lost"
  STATUS=1
elif [ "${FAILED[c]}" -gt 0 ]; then
  log "phase (c): ${FAILED[c]} requests whose answer the killed instance had begun: nginx cannot retry those"
fi
if [ "${LOST[d]}" -eq 0 ]; then
  log "FAIL: phase (d): a key replaced without the procedure lost no session; the count of sessions lost is not working"
  STATUS=1
fi
[ "$STATUS" -eq 0 ] && echo "fleet-test: PASS"
exit "$STATUS"
