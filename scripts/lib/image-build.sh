# shellcheck shell=bash
# Shared by the offline image builds (scripts/keycloak-image.sh, scripts/ceph-image.sh):
# Debian root filesystems by mmdebstrap from the machine's own mirror, and small helpers.
#
# Source it after defining, in the calling script:
#   IMAGE_BUILD_NAME   prefix of error messages (e.g. keycloak-image)
#   log MESSAGE...     progress line on stderr
#   die MESSAGE...     error line on stderr, then exit 1

# Run a noisy command; show its output only when it fails.
quiet() {
  local out rc=0
  out=$(mktemp)
  "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    tail -n 60 "$out" >&2
    rm -f "$out"
    printf '%s: command failed (exit %s): %s\n' "$IMAGE_BUILD_NAME" "$rc" "$*" >&2
    return "$rc"
  fi
  rm -f "$out"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
# The builds label each image with a hash of what went into it (RECIPE_LABEL).
RECIPE_LABEL=keycloak-action-test.recipe
# up_to_date IMAGE RECIPE: the tag exists and was built from this recipe (never with FORCE=1).
up_to_date() {
  [ "${FORCE:-0}" != 1 ] || return 1
  [ "$(docker image inspect -f "{{ index .Config.Labels \"$RECIPE_LABEL\" }}" "$1" 2>/dev/null)" = "$2" ]
}
# Start of a build script, after sourcing: an engine must answer, and the cache dir exist.
begin_build() {
  docker info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/docker-up.sh first"
  mkdir -p "${CACHE_DIR:?}"
}

# Drop a replaced image of ours once its tag has moved on (ignore "in use" errors).
remove_if_dangling() {
  [ -n "$1" ] || return 0
  [ "$(docker image inspect -f '{{len .RepoTags}}' "$1" 2>/dev/null)" = 0 ] || return 0
  docker image rm "$1" >/dev/null 2>&1 || true
}

# ensure_pkgs command:package... installs (apt-get) the packages whose command is missing.
ensure_pkgs() {
  local missing=() p
  for p in "$@"; do
    command -v "${p%%:*}" >/dev/null 2>&1 || missing+=("${p#*:}")
  done
  [ "${#missing[@]}" = 0 ] && return 0
  log "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  # The Keycloak and Ceph builds run side by side: one apt at a time (a subshell, so
  # the lock is released when it ends).
  (
    flock 8
    quiet apt-get update -qq
    quiet apt-get install -y -qq --no-install-recommends "${missing[@]}"
  ) 8>"${CACHE_DIR:?}/.lock-apt"
}

# Mirror: the URI of the first deb822 stanza of the machine's Debian sources that
# lists a plain release suite (not -security/-updates/-backports). Read at run time;
# no host name is written into the repository.
debian_mirror() {
  if [ ! -r /etc/apt/sources.list.d/debian.sources ]; then
    # one-line format fallback: first "deb URI suite" line with a plain suite
    awk '$1 == "deb" && $3 !~ /-/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null
    return 0
  fi
  awk '
    /^[[:space:]]*$/ { if (uri != "" && plain) { print uri; exit } uri=""; plain=0; next }
    /^URIs:/   { uri=$2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i !~ /-/) plain=1 }
    END        { if (uri != "" && plain) print uri }
  ' /etc/apt/sources.list.d/debian.sources | head -n 1
}

# build_rootfs SUITE INCLUDE OUT.tar.zst
#   INCLUDE: mmdebstrap's --include list (comma- or space-separated packages).
build_rootfs() {
  local suite=$1 include=$2 out=$3 mirror tmp rc=0
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "no Debian mirror found in /etc/apt/sources.list.d/debian.sources"
  tmp=$(mktemp -d)
  # essential: no apt/useradd in the image; merged-usr hook: otherwise apt pulls in
  # usrmerge and perl. force-unsafe-io: the result is a tarball, there is no crash to
  # survive (dpkg's fsync of every file cost the Ceph rootfs 166 s instead of 140 s).
  # Docs (but copyrights), man pages, locales and info are left out. Not as --dpkgopt
  # path filters: with those, mmdebstrap pipes every essential package through its
  # Perl tar filter, which took 28 s of the Ceph rootfs' 132 s (measured). So the
  # essential hook gives dpkg the filters for the other packages, and the customize
  # hook removes what the essential packages brought. The JRE's postinst needs
  # usr/share/man/man1 to exist (alternatives slave links), hence the setup hook. The
  # customize hook also drops the sources list (mirror host) from the image.
  # shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hooks, not here
  quiet mmdebstrap --variant=essential --mode=root \
    --dpkgopt=force-unsafe-io \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --aptopt='APT::Install-Recommends "false"' \
    --setup-hook='mkdir -p "$1/usr/share/man/man1"' \
    --essential-hook='printf "%s\n" "path-exclude=/usr/share/man/*" "path-exclude=/usr/share/doc/*" \
        "path-include=/usr/share/doc/*/copyright" "path-exclude=/usr/share/locale/*" "path-exclude=/usr/share/info/*" \
        >"$1/etc/dpkg/dpkg.cfg.d/90-slim"' \
    --customize-hook='rm -f "$1/etc/apt/sources.list"; rm -rf "$1"/usr/share/locale/* "$1"/usr/share/info/*;
        find "$1/usr/share/man" -type f -delete; find "$1/usr/share/doc" -type f ! -name copyright -delete' \
    --include="$include" \
    "$suite" "$tmp/rootfs.tar" "$mirror" || rc=$?
  if [ "$rc" = 0 ]; then
    zstd -q -T0 -f "$tmp/rootfs.tar" -o "$out.part" && mv -f "$out.part" "$out" || rc=$?
  fi
  rm -rf "$tmp"
  return "$rc"
}

# import_rootfs ROOTFS.tar.zst IMAGE: docker import (20.10 cannot read zstd itself).
import_rootfs() {
  local tarball=$1 image=$2 old_id
  old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  zstd -dc "$tarball" | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$image" >/dev/null
  remove_if_dangling "$old_id"
}
