#!/usr/bin/env bash
# Build the Ceph test image keycloak-action-test/ceph:18.2 fully offline (no container
# registry): a Debian trixie rootfs with Ceph Reef, awscli and boto3 via mmdebstrap ->
# docker import, then scripts/ceph/Dockerfile (legacy builder) adds start-ceph.sh.
#
#   scripts/ceph-image.sh          # npm run ceph:image; npm run keycloak:image builds it too
#   docker run -d --network host keycloak-action-test/ceph:18.2   # see scripts/ceph/start-ceph.sh
#
# Env: FORCE=1          rebuild the image (and re-import the cached rootfs)
#      XDG_CACHE_HOME   the rootfs cache lives in ${XDG_CACHE_HOME:-$HOME/.cache}/keycloak-action
#
# Skips all work when the tag exists and carries the same recipe label (a hash of the
# package list, Dockerfile and start script); a second run takes well under a second.
# Needs a running engine: run scripts/docker-up.sh first.
set -euo pipefail

START=$SECONDS
log() { printf '[ceph-image +%ss] %s\n' "$((SECONDS - START))" "$*" >&2; }
die() { printf 'ceph-image: %s\n' "$*" >&2; exit 1; }
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERFILE_DIR=$REPO_ROOT/scripts/ceph
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/keycloak-action
# Reef from trixie (18.2.7 when written). The Dockerfile checks the series, so a suite
# that moves on fails the build instead of changing the server under the tests.
CEPH_SERIES=18.2
SUITE=trixie
PACKAGES=ceph-mon,ceph-osd,radosgw,ceph-common,curl,ca-certificates,awscli,python3-boto3
# Bump when build_rootfs (scripts/lib/image-build.sh) changes in a way that matters here.
ROOTFS_RECIPE=2
IMAGE=keycloak-action-test/ceph:$CEPH_SERIES

IMAGE_BUILD_NAME=ceph-image
# shellcheck source=lib/image-build.sh
. "$REPO_ROOT/scripts/lib/image-build.sh"

begin_build

# One Ceph build at a time (test runners may call this concurrently); Keycloak builds
# have their own lock.
exec 9>"$CACHE_DIR/.lock-ceph"
flock 9

# ---------------------------------------------------------------------------
# Fast path: the tag exists and was built from this exact recipe.
# ---------------------------------------------------------------------------
ROOTFS_KEY=$(echo "$SUITE $PACKAGES rootfs=$ROOTFS_RECIPE" | sha256sum | cut -c1-12)
RECIPE=$( { echo "$ROOTFS_KEY $CEPH_SERIES"; cat "$DOCKERFILE_DIR/Dockerfile" "$DOCKERFILE_DIR/start-ceph.sh"; } | sha256sum | cut -c1-16)
up_to_date "$IMAGE" "$RECIPE" && exit 0
image_exists "$IMAGE" && [ "${FORCE:-0}" != 1 ] && log "image $IMAGE exists but is from another recipe: rebuilding"

# ---------------------------------------------------------------------------
# 1. Base image: mmdebstrap rootfs -> .tar.zst cache -> docker import
# ---------------------------------------------------------------------------
TARBALL=$CACHE_DIR/rootfs-$SUITE-ceph-$ROOTFS_KEY.tar.zst
BASE_IMAGE=keycloak-action-test/ceph-base:$SUITE-$ROOTFS_KEY
if [ "${FORCE:-0}" = 1 ] || ! image_exists "$BASE_IMAGE"; then
  if [ ! -s "$TARBALL" ]; then
    ensure_pkgs mmdebstrap:mmdebstrap zstd:zstd
    log "building rootfs $SUITE + $PACKAGES (mmdebstrap)"
    build_rootfs "$SUITE" "$PACKAGES" "$TARBALL" || { rm -f "$TARBALL" "$TARBALL.part"; die "mmdebstrap $SUITE failed (see above)"; }
    # Older Ceph rootfs tarballs (other package lists) are dead weight now.
    for stale in "$CACHE_DIR"/rootfs-*-ceph-*.tar.zst; do
      [ "$stale" = "$TARBALL" ] || rm -f "$stale"
    done
    log "rootfs: $(du -h "$TARBALL" | cut -f1) compressed"
  fi
  ensure_pkgs zstd:zstd
  log "importing $BASE_IMAGE"
  import_rootfs "$TARBALL" "$BASE_IMAGE"
fi

# ---------------------------------------------------------------------------
# 2. The image (legacy builder; the context is scripts/ceph)
# ---------------------------------------------------------------------------
CEPH_VERSION=$(docker run --rm --network none "$BASE_IMAGE" dpkg-query -W -f '${Version}' radosgw) \
  || die "could not read the radosgw version from $BASE_IMAGE"
old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
log "building $IMAGE on $BASE_IMAGE (radosgw $CEPH_VERSION)"
quiet env -u DOCKER_BUILDKIT docker build --force-rm \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --build-arg "CEPH_SERIES=$CEPH_SERIES" \
  --label "$RECIPE_LABEL=$RECIPE" \
  --label "keycloak-action-test.base=$BASE_IMAGE" \
  --label "keycloak-action-test.ceph-version=$CEPH_VERSION" \
  -t "$IMAGE" "$DOCKERFILE_DIR"
remove_if_dangling "$old_id"
# Base images of older recipes: untag them (their layers go once no image uses them).
docker image ls --format '{{.Repository}}:{{.Tag}}' keycloak-action-test/ceph-base | while read -r tag; do
  [ "$tag" = "$BASE_IMAGE" ] || docker image rm "$tag" >/dev/null 2>&1 || true
done
log "done: $IMAGE ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{ printf "%d MB", $1 / 1e6 }'))"
