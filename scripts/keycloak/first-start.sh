#!/bin/bash
# The image build's last step (scripts/keycloak/Dockerfile): one start of the server
# as the tests start it, up to /health/ready, then a clean stop. It leaves behind
#  - the dev-file database, created by this start, with the admin of
#    KC_BOOTSTRAP_ADMIN_USERNAME/_PASSWORD (one JVM instead of a separate
#    `kc.sh bootstrap-admin` run: 15-30 s less CPU per image);
#  - the suite's realms (copied into data/import) imported into that database, so
#    that a test container starts without importing anything: creating them costs
#    more than the rest of the start (keys, default clients and flows, password hashes);
#  - an AppCDS archive (JDK dynamic archive, -XX:ArchiveClassesAtExit, written when
#    the JVM exits) of the ~22,000 classes this start loaded, Quarkus' own class
#    loader's included. Later starts map them (JDK_JAVA_OPTIONS in the Dockerfile)
#    instead of loading, parsing and verifying them.
# A class whose jar changed (e.g. after a re-build inside the container) is simply
# loaded as usual; a JVM that cannot use the archive warns and starts without it.
#
#   first-start.sh ARCHIVE     (as uid 1000, in the image; KC_RELATIVE_PATH: the
#                               --http-relative-path built in, e.g. /auth, if any)
set -euo pipefail
archive=$1

# Run options as in test/integration/support/keycloak-container.ts (C1 only, small heap).
# KC_CACHE as a variable: 26.4 takes --cache only at build time, 26.7 only at run time.
KC_CACHE=local KC_LOG_LEVEL=warn JAVA_OPTS_KC_HEAP="-Xms64m -Xmx512m" \
  JAVA_OPTS_APPEND="-XX:TieredStopAtLevel=1 -XX:ArchiveClassesAtExit=$archive" \
  /opt/keycloak/bin/kc.sh start --optimized --http-enabled=true --hostname-strict=false --import-realm &
pid=$!

# No curl in the image: ask the management port with bash's /dev/tcp.
ready() {
  (exec 3<>/dev/tcp/127.0.0.1/9000 \
    && printf 'GET %s/health/ready HTTP/1.0\r\nHost: localhost\r\n\r\n' "${KC_RELATIVE_PATH:-}" >&3 \
    && head -n 1 <&3 | grep -q ' 200 ') 2>/dev/null
}
# Poll every 0.2 s, for at most 5 minutes.
for ((i = 0; ; i++)); do
  ready && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "first-start: Keycloak exited before /health/ready answered 200" >&2
    exit 1
  fi
  if ((i >= 1500)); then
    echo "first-start: Keycloak not ready after 5 minutes" >&2
    kill -TERM "$pid"
    exit 1
  fi
  sleep 0.2
done

# kc.sh forwards TERM to the JVM, whose orderly exit writes the archive.
kill -TERM "$pid"
wait "$pid" || true
[ -s "$archive" ] || { echo "first-start: the JVM wrote no archive at $archive" >&2; exit 1; }
# The realms are in the database now; leave data/import empty, as it was.
rm -f /opt/keycloak/data/import/*.json
