#!/usr/bin/env bash
# Build the Keycloak test image keycloak-action-test/keycloak:VERSION fully offline
# (no container registry): Debian rootfs + JRE via mmdebstrap -> docker import,
# Keycloak distribution via Maven, then scripts/keycloak/Dockerfile (legacy builder).
#
#   scripts/keycloak-image.sh VERSION        # e.g. 26.7.3 or 26.4.7 (npm run keycloak:image builds all the suite uses)
#   -> keycloak-action-test/keycloak:VERSION, pre-built with --db=dev-file --health-enabled=true
#      (before 26.6 also --features=client-auth-federated --http-relative-path=/auth), with
#      the suite's realms in its database: start it with `start --optimized`.
#
# Env: FORCE=1            rebuild the Keycloak image even if it is up to date
#      KEYCLOAK_JRE=17    skip trying trixie/JRE 21, use bookworm/JRE 17
#      XDG_CACHE_HOME     caches live in ${XDG_CACHE_HOME:-$HOME/.cache}/keycloak-action
#
# Skips all work when the tag exists and carries the same recipe label (a hash of
# the Dockerfile, first-start.sh, the suite's realms, build options and base image); a
# second run takes well under a second.
# Needs a running engine: run scripts/docker-up.sh first.
set -euo pipefail

VERSION=${1:?usage: scripts/keycloak-image.sh VERSION (e.g. 26.7.3)}
[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+([.-][A-Za-z0-9.-]+)?$ ]] || { echo "keycloak-image: bad version: $VERSION" >&2; exit 2; }
START=$SECONDS
log() { printf '[keycloak-image %s +%ss] %s\n' "$VERSION" "$((SECONDS - START))" "$*" >&2; }
die() { printf 'keycloak-image: %s\n' "$*" >&2; exit 1; }
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DOCKERFILE_DIR=$REPO_ROOT/scripts/keycloak
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/keycloak-action
# Bump when the mmdebstrap recipe below changes, so cached rootfs tarballs are rebuilt.
ROOTFS_RECIPE=2
# Build-time Keycloak options baked into the image (see the Dockerfile).
KC_BUILD_OPTS="--db=dev-file --health-enabled=true"
# Before 26.6: federated client authentication (client-auth: github-oidc) is a preview,
# off unless built in (from 26.6 it is on by default). The suite also serves this older
# server the legacy way, under /auth (a build-time option, so a container starts
# --optimized); test/integration/support/keycloak-container.ts agrees.
KC_RELATIVE_PATH=""
case $VERSION in 26.[0-5].*) KC_BUILD_OPTS+=" --features=client-auth-federated"; KC_RELATIVE_PATH=/auth ;; esac
KC_BUILD_OPTS+="${KC_RELATIVE_PATH:+ --http-relative-path=$KC_RELATIVE_PATH}"
IMAGE=keycloak-action-test/keycloak:$VERSION
# The suite's realms, imported into the image's database at build time (first-start.sh).
REALMS_DIR=$REPO_ROOT/test/integration/realms

IMAGE_BUILD_NAME=keycloak-image
# shellcheck source=lib/image-build.sh
. "$REPO_ROOT/scripts/lib/image-build.sh"

begin_build

# ---------------------------------------------------------------------------
# Fast path: the tag exists and was built from this exact recipe.
# ---------------------------------------------------------------------------
RECIPE=$( { cat "$DOCKERFILE_DIR/Dockerfile" "$DOCKERFILE_DIR/first-start.sh" "$REALMS_DIR"/*.json; echo "$KC_BUILD_OPTS"; echo "rootfs=$ROOTFS_RECIPE jre=${KEYCLOAK_JRE:-21}"; } | sha256sum | cut -c1-16)
up_to_date "$IMAGE" "$RECIPE" && exit 0
image_exists "$IMAGE" && [ "${FORCE:-0}" != 1 ] && log "image $IMAGE exists but is from another recipe: rebuilding"

# One build per version at a time (test runners may call this concurrently); builds of
# different versions run side by side (npm test's setup starts them all at once).
exec 7>"$CACHE_DIR/.lock-$VERSION"
flock 7
# Another run may have built it while this one waited.
up_to_date "$IMAGE" "$RECIPE" && exit 0

# ---------------------------------------------------------------------------
# 1. Keycloak distribution from Maven Central (cached per version), fetched in the
#    background while step 2 builds or waits for the Java base image.
# ---------------------------------------------------------------------------
DIST="$CACHE_DIR/keycloak-quarkus-dist-$VERSION.tar.gz"
fetch_dist() {
  [ -s "$DIST" ] && return 0
  command -v mvn >/dev/null 2>&1 || ensure_pkgs mvn:maven
  # One Maven at a time: Maven 3.8 does not lock its local repository.
  exec 6>"$CACHE_DIR/.lock-maven"
  flock 6
  log "fetching org.keycloak:keycloak-quarkus-dist:$VERSION:tar.gz (maven)"
  local out
  out=$(mktemp -d)
  quiet mvn -q -B -Dstyle.color=never \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.keycloak:keycloak-quarkus-dist:$VERSION:tar.gz" \
    -DoutputDirectory="$out" \
    || { rm -rf "$out"; die "maven could not fetch keycloak-quarkus-dist $VERSION"; }
  mv -f "$out/keycloak-quarkus-dist-$VERSION.tar.gz" "$DIST"
  rm -rf "$out"
}
fetch_dist &
fetching=$!

# The Java base image is shared by all versions: one build makes it, the others wait.
exec 9>"$CACHE_DIR/.lock"
flock 9
# ---------------------------------------------------------------------------
# 2. Java base image: mmdebstrap rootfs -> .tar.zst cache -> docker import
#    (build_rootfs, import_rootfs: scripts/lib/image-build.sh)
# ---------------------------------------------------------------------------
# JRE decision (measured 2026-11 on this machine): trixie IS reachable through the
# configured Debian mirror and has openjdk-21-jre-headless (the official image's Java
# major), so it is tried first. Only when building that rootfs fails (suite not served
# by the mirror) do we fall back to bookworm + openjdk-17-jre-headless (works for
# Keycloak 26.x, deprecated upstream). KEYCLOAK_JRE=17 forces the fallback.
CANDIDATES=("trixie openjdk-21-jre-headless" "bookworm openjdk-17-jre-headless")
[ "${KEYCLOAK_JRE:-21}" = 17 ] && CANDIDATES=("bookworm openjdk-17-jre-headless")

BASE_IMAGE=""
for cand in "${CANDIDATES[@]}"; do
  read -r suite jre <<<"$cand"
  key="$suite-$jre-r$ROOTFS_RECIPE"
  tarball="$CACHE_DIR/rootfs-$key.tar.zst"
  base="keycloak-action-test/jre:$key"
  if [ "${FORCE:-0}" != 1 ] && image_exists "$base"; then BASE_IMAGE=$base; break; fi
  if [ ! -s "$tarball" ]; then
    ensure_pkgs mmdebstrap:mmdebstrap zstd:zstd
    log "building rootfs $suite + $jre (mmdebstrap)"
    if ! build_rootfs "$suite" "$jre" "$tarball"; then
      rm -f "$tarball" "$tarball.part"
      log "rootfs $suite + $jre failed; trying the next candidate"
      continue
    fi
  fi
  ensure_pkgs zstd:zstd
  log "importing $base"
  import_rootfs "$tarball" "$base"
  BASE_IMAGE=$base
  break
done
[ -n "$BASE_IMAGE" ] || die "could not build a Java base image (see errors above)"
exec 9>&-
wait "$fetching" || exit 1

# ---------------------------------------------------------------------------
# 3. The image (legacy builder, temp context with the extracted distribution)
# ---------------------------------------------------------------------------
CTX=$(mktemp -d)
trap 'rm -rf "$CTX"' EXIT
mkdir "$CTX/keycloak"
tar -xzf "$DIST" -C "$CTX/keycloak" --strip-components=1
mkdir -p "$CTX/keycloak/data/import"
chmod -R g+rwX "$CTX/keycloak"
cp "$DOCKERFILE_DIR/Dockerfile" "$DOCKERFILE_DIR/first-start.sh" "$CTX/"
mkdir "$CTX/realms"
cp "$REALMS_DIR"/*.json "$CTX/realms/"

old_id=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
log "building $IMAGE on $BASE_IMAGE (docker build, kc.sh build $KC_BUILD_OPTS)"
quiet env -u DOCKER_BUILDKIT docker build --force-rm \
  --build-arg "BASE_IMAGE=$BASE_IMAGE" \
  --build-arg "KC_BUILD_OPTS=$KC_BUILD_OPTS" \
  --build-arg "KC_RELATIVE_PATH=$KC_RELATIVE_PATH" \
  --label "$RECIPE_LABEL=$RECIPE" \
  --label "keycloak-action-test.base=$BASE_IMAGE" \
  -t "$IMAGE" "$CTX"
remove_if_dangling "$old_id"
# The throw-away pre-build stage stays behind as untagged images: drop them.
docker image prune -f --filter label=keycloak-action-test.stage=build >/dev/null 2>&1 || true
log "done: $IMAGE"
