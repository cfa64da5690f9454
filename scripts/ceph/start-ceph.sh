#!/usr/bin/env bash
# Starts a throw-away Ceph cluster inside the test container: 1 mon + 1 OSD (memstore,
# nothing on disk) + radosgw, all on 127.0.0.1, no cephx; then creates the IAM admin
# user that sets up OIDC providers and roles. Recipe and reasons:
# ../shared/docs/ceph-rgw-sts-facts.md, section 3.2 (the project's notes), made faster:
# osd.0 comes with the initial osdmap, the caps with the user. The daemons fork once
# initialised; `timeout` bounds each start (it signals the whole process group).
#
# Run with --network host, so that RGW reaches the token issuer (Keycloak) on the
# host's loopback: `docker run -d --network host IMAGE` (the image's CMD runs this,
# then sleeps). Mon ports 3300 and 6789 are fixed: one cluster per machine at a time.
#
# Env: RGW_PORT              RGW's HTTP port on 127.0.0.1 (default 7480)
#      IAM_ADMIN_ACCESS_KEY  keys of the user `iam-admin` (caps oidc-provider=*;roles=*)
#      IAM_ADMIN_SECRET_KEY
#      RGW_DEBUG             debug_rgw level (default 5: most STS refusal reasons are
#                            logged at 0 to 5, see the facts doc, section 4)
#
# Prints "start-ceph: ready ..." as its last line when RGW answers and the user exists
# (the harness waits for that line). Any failure: the daemons' log tails, exit 1.
set -euo pipefail

RGW_PORT=${RGW_PORT:-7480}
IAM_ADMIN_ACCESS_KEY=${IAM_ADMIN_ACCESS_KEY:-IAMADMINKEY}
IAM_ADMIN_SECRET_KEY=${IAM_ADMIN_SECRET_KEY:-IAMADMINSECRET}
RGW_DEBUG=${RGW_DEBUG:-5}
[[ $RGW_PORT =~ ^[0-9]+$ ]] || { echo "start-ceph: bad RGW_PORT: $RGW_PORT" >&2; exit 2; }
# RGW refuses AssumeRoleWithWebIdentity (400, op status -22) unless the key is exactly 16 characters.
STS_KEY=abcdefghijklmnop

t0=${EPOCHREALTIME/./} # microseconds; no forks for the clock
ms() { local now=${EPOCHREALTIME/./}; echo $(((now - t0) / 1000)); }
say() { echo "start-ceph: [$(ms) ms] $*"; }

on_error() {
  local rc=$? line=$1 f
  echo "start-ceph: FAILED (exit $rc) at line $line after $(ms) ms" >&2
  for f in /var/log/ceph/*.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f" >&2
    tail -n 25 "$f" >&2
  done
  exit 1
}
trap 'on_error $LINENO' ERR

# wait_until SECONDS DESCRIPTION COMMAND...: bounded poll every 0.1 s.
wait_until() {
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "start-ceph: timed out after ${limit} s waiting for $what" >&2
      return 1
    fi
    sleep 0.1
  done
}

mkdir -p /etc/ceph /var/lib/ceph/mon/ceph-a /var/lib/ceph/osd/ceph-0 /var/log/ceph /run/ceph
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > /etc/ceph/ceph.conf <<CONF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:3300,v1:127.0.0.1:6789]
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
# With auth none, radosgw otherwise hangs at start (get_initial_auth_request returned -13).
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
# Default paxos timings cost ~9 s at start and ~2 s on the first bucket write.
paxos propose interval = 0.1
paxos min wait = 0.01
log file = /var/log/ceph/\$cluster-\$name.log
[mon]
mon data = /var/lib/ceph/mon/ceph-\$id
[osd]
osd data = /var/lib/ceph/osd/ceph-\$id
osd objectstore = memstore
memstore device bytes = 536870912
[client.rgw.gw]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw sts key = $STS_KEY
# Without it STS hands out credentials that no S3 call accepts.
rgw s3 auth use sts = true
# Default 900: the suite lets STS credentials expire within a test (keep-fresh).
rgw sts min session duration = 60
rgw thread pool size = 32
debug rgw = $RGW_DEBUG
CONF

ceph-authtool --create-keyring /run/ceph/mon.keyring --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' /run/ceph/monmap >/dev/null
# The initial osdmap already holds osd.0 (in, weight 1), so no `ceph osd new` is needed:
# the Python CLI costs ~1 s, ~2.5 s on a busy machine. The mon takes the OSD's uuid at boot.
osdmaptool --createsimple 1 --clobber /run/ceph/osdmap >/dev/null
ceph-mon --mkfs -i a --monmap /run/ceph/monmap --osdmap /run/ceph/osdmap --keyring /run/ceph/mon.keyring
timeout 30 ceph-mon -i a
say "mon started"

ceph-osd -i 0 --mkfs --osd-uuid "$(cat /proc/sys/kernel/random/uuid)"
timeout 30 ceph-osd -i 0
say "osd.0 started"

# Daemonizes; its first start creates the RGW pools. (Started before the OSD is up,
# it only waits longer: measured.)
timeout 30 radosgw -n client.rgw.gw
wait_until 30 "RGW on 127.0.0.1:$RGW_PORT" curl -fs -o /dev/null "http://127.0.0.1:$RGW_PORT/"
say "rgw answers on 127.0.0.1:$RGW_PORT"

# One call for user and caps (a separate `caps add` costs another ~0.5 s).
timeout 30 radosgw-admin user create --uid=iam-admin --display-name=iam-admin \
  --access-key="$IAM_ADMIN_ACCESS_KEY" --secret-key="$IAM_ADMIN_SECRET_KEY" \
  --caps='oidc-provider=*;roles=*' >/dev/null
say "ready rgw=http://127.0.0.1:$RGW_PORT user=iam-admin"
