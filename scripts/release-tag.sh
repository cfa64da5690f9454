#!/usr/bin/env bash
# Tags a release on the current commit, and refuses when it is not releasable:
#   scripts/release-tag.sh X.Y.Z
# Refuses unless the working tree is clean, package.json says X.Y.Z, CHANGELOG.md has
# a "## [X.Y.Z] - YYYY-MM-DD" section and no entries left under [Unreleased],
# action.yml passes the Marketplace test, and dist/ is exactly what `npm run build`
# makes (check-dist: dist/ is all that `uses:` runs). Then it creates the annotated
# tag vX.Y.Z, moves the major tag vX to it, and prints the push commands; it pushes
# nothing itself. CONTRIBUTING.md, "Releasing", has the whole routine.
set -euo pipefail
cd "$(dirname "$0")/.."

refuse() { echo "release-tag: refused: $*" >&2; exit 1; }

version=${1:-}
[[ $version =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] || refuse "give the version as X.Y.Z (got '${version}')"
major=v${BASH_REMATCH[1]}
tag=v$version

[[ -z $(git status --porcelain --untracked-files=no) ]] || refuse "the working tree has uncommitted changes"
git rev-parse -q --verify "refs/tags/$tag" >/dev/null && refuse "$tag exists already"

package_version=$(node -p 'require("./package.json").version')
[[ $package_version == "$version" ]] || refuse "package.json says $package_version: npm version $version --no-git-tag-version, and commit"

grep -Eq "^## \[$(sed 's/\./\\./g' <<<"$version")\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" CHANGELOG.md \
  || refuse "CHANGELOG.md has no '## [$version] - YYYY-MM-DD' section"
# Between "## [Unreleased]" and the next "## [" heading only blank lines may be left.
unreleased=$(awk '/^## \[Unreleased\]/{on=1; next} /^## \[/{on=0} on && NF' CHANGELOG.md)
[[ -z $unreleased ]] || refuse "CHANGELOG.md still has entries under [Unreleased]: move them under [$version]"

npx vitest run --project unit test/marketplace.test.ts >/dev/null 2>&1 \
  || refuse "action.yml is not publishable on the Marketplace: npx vitest run --project unit test/marketplace.test.ts"

npm run -s check-dist || refuse "dist/ is not what 'npm run build' makes (check-dist): run it and commit dist/"

git tag -a "$tag" -m "$tag"
git tag -fa "$major" -m "$major is now $tag" "$tag^{commit}" >/dev/null
echo "Tagged $tag and moved $major to $(git rev-parse --short "$tag^{commit}"). Push them with:"
echo "  git push origin $tag && git push --force origin $major"
