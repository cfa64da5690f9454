#!/usr/bin/env bash
# The second runner of the suite and what its host steps run, cached under
# ${XDG_CACHE_HOME:-~/.cache}/keycloak-action/act/ so that a warm run builds nothing:
#   bin/act      nektos/act at ACT_VERSION, built by `go install` with GOPATH, GOCACHE
#                and GOMODCACHE in that folder (the Go module proxy only);
#   venv/        awscli and boto3 from PyPI (pip), for the S3 steps of the docs'
#                workflows, which act runs on this machine;
# and GitHub's CLI `gh` and `jq` (Debian's packages; GitHub-hosted runners have both), for
# the nightly check's issue step and ci.yml's action job.
# Prints the path of the folder on stdout. Fails loudly when Go or Python is missing:
# the suite never skips the act tests (like a missing Docker, a missing act fails).
# Called by .ci/run (in the background) and by the integration suite's set-up.
set -euo pipefail

ACT_VERSION=v0.2.89
AWSCLI_VERSION=1.45.11
BOTO3_VERSION=1.43.11

CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/keycloak-action/act
mkdir -p "$CACHE"
START=$SECONDS
log() { printf '[act-tools +%ss] %s\n' "$((SECONDS - START))" "$*" >&2; }

# One installer at a time (.ci/run and the suite's set-up may both call this).
exec 9>"$CACHE/.lock"
flock 9

if [ "$("$CACHE/bin/act" --version 2>/dev/null || true)" != "act version ${ACT_VERSION#v}" ]; then
  GO=$(command -v go || true)
  [ -n "$GO" ] || { [ -x /usr/local/go/bin/go ] && GO=/usr/local/go/bin/go; } || true
  if [ -z "$GO" ]; then
    echo "act-tools: no Go toolchain (go on PATH or /usr/local/go/bin/go): cannot build nektos/act $ACT_VERSION for the act tests" >&2
    exit 1
  fi
  log "building nektos/act $ACT_VERSION with $("$GO" version)"
  GOPATH="$CACHE/go" GOCACHE="$CACHE/go-build" GOMODCACHE="$CACHE/go/pkg/mod" GOBIN="$CACHE/bin" GOFLAGS=-modcacherw \
    "$GO" install "github.com/nektos/act@$ACT_VERSION"
  log "built $("$CACHE/bin/act" --version)"
fi

if ! "$CACHE/venv/bin/python" -c "import boto3, awscli; assert boto3.__version__ == '$BOTO3_VERSION' and awscli.__version__ == '$AWSCLI_VERSION'" 2>/dev/null; then
  PYTHON=$(command -v python3 || true)
  if [ -z "$PYTHON" ]; then
    echo "act-tools: no python3: cannot install awscli and boto3 for the S3 steps the act tests run" >&2
    exit 1
  fi
  log "installing awscli $AWSCLI_VERSION and boto3 $BOTO3_VERSION into $CACHE/venv"
  rm -rf "$CACHE/venv"
  "$PYTHON" -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q --disable-pip-version-check "awscli==$AWSCLI_VERSION" "boto3==$BOTO3_VERSION"
  log "installed"
fi

missing=()
for tool in gh jq; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]} (apt-get)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  APT_LOG=$(mktemp)
  if ! { DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; }; } >"$APT_LOG" 2>&1; then
    cat "$APT_LOG" >&2; rm -f "$APT_LOG"
    echo "act-tools: installing ${missing[*]} failed: the workflows' steps that run them cannot run" >&2
    exit 1
  fi
  rm -f "$APT_LOG"
fi

echo "$CACHE"
