#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`.
#   - exits at once when one already does;
#   - otherwise installs Debian's docker.io when no dockerd exists, starts dockerd
#     detached (log: $DOCKERD_LOG, default /tmp/dockerd.log) and waits up to
#     $DOCKER_UP_TIMEOUT seconds (default 60) for it.
# Works with whichever docker client is first on PATH (the 28.x client in
# /usr/local/bin negotiates down to the 20.10 daemon's API). DOCKER_BUILDKIT is
# left unset on purpose: there is no buildx here, `docker build` is the legacy builder.
set -euo pipefail

START=$SECONDS
log() { printf '[docker-up +%ss] %s\n' "$((SECONDS - START))" "$*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}
TIMEOUT=${DOCKER_UP_TIMEOUT:-60}
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing docker.io (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  APT_LOG=$(mktemp)
  if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends docker.io; } >"$APT_LOG" 2>&1; then
    cat "$APT_LOG" >&2; rm -f "$APT_LOG"
    echo "docker-up: installing docker.io failed" >&2
    exit 1
  fi
  rm -f "$APT_LOG"
fi

PIDFILE=/var/run/docker.pid
CONTAINERD_PIDFILE=/var/run/docker/containerd/containerd.pid
# Is the pid in pid file $1 a live (not zombie) process named $2? A pid file left by
# a killed daemon, or naming a reused pid or a zombie, must not be trusted: dockerd
# itself would wait ~20 s for such a "still running" containerd and then give up.
alive() {
  local pid state
  pid=$(cat "$1" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ]
}
starts=0
DPID=""
start_dockerd() {
  alive "$CONTAINERD_PIDFILE" containerd || $SUDO rm -f "$CONTAINERD_PIDFILE"
  $SUDO rm -f "$PIDFILE"
  log "starting dockerd (log: $DOCKERD_LOG)"
  # setsid + nohup: own session, survives this script and its caller's job control.
  $SUDO setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  DPID=$!
  starts=$((starts + 1))
}

if alive "$PIDFILE" dockerd; then
  log "dockerd already running, waiting for it"
else
  : >"$DOCKERD_LOG"
  start_dockerd
fi

for _ in $(seq 1 $((TIMEOUT * 4))); do
  if docker info >/dev/null 2>&1; then
    log "docker engine ready"
    exit 0
  fi
  # No daemon left to wait for (the one we waited for died, or ours exited early,
  # e.g. on a stale containerd): start one more, twice at most.
  if [ "$starts" -lt 2 ] && ! alive "$PIDFILE" dockerd \
     && { [ -z "$DPID" ] || ! kill -0 "$DPID" 2>/dev/null; }; then
    start_dockerd
  fi
  sleep 0.25
done

echo "docker-up: no answer from 'docker info' after ${TIMEOUT}s; last lines of $DOCKERD_LOG:" >&2
tail -n 40 "$DOCKERD_LOG" >&2 || true
docker info >&2 || true
exit 1
