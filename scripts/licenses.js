// Writes DIST/licenses.txt: the licence of every package inside the bundles
// (`node scripts/licenses.js DIST [OTHER_BUNDLE_DIR ...]`: the action and the
// token command), and fails when one of them has no licence text.
//
// Which packages: the ones ncc really bundled, from its webpack stats
// (DIST/ncc-stats.json, written by `ncc build --stats-out` in `npm run build`;
// read and removed here). ncc's own --license keeps only the last chunk's
// packages once the bundle is split (the lazily loaded chunks), so it is not
// used. Each bundled package, direct or transitive, must be a production package
// of package-lock.json at the version installed; the stand-ins of bundle-stubs/
// are this repository's own code and carry no third-party licence.
//
// The text: the package's own LICENSE / LICENCE / COPYING file(s), or, for a
// package whose published tarball ships none, scripts/licenses/<name>.txt (the
// licence file of its source repository, kept here).
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const bundleDirs = process.argv.length > 2 ? process.argv.slice(2) : ['dist'];
const dist = bundleDirs[0];
const VENDORED = 'scripts/licenses';

const allStats = bundleDirs.map((dir) => {
  const statsFile = join(dir, 'ncc-stats.json');
  if (!existsSync(statsFile)) {
    process.stderr.write(`licenses: ${statsFile} is missing: run 'npm run build' (ncc build --stats-out ${statsFile}).\n`);
    process.exit(1);
  }
  const stats = JSON.parse(readFileSync(statsFile, 'utf8'));
  rmSync(statsFile);
  return stats;
});

// "node_modules/a" or "node_modules/a/node_modules/@s/b": the package-lock.json key of
// a module's package, wherever node_modules itself lives (it may be a symlink).
const PACKAGE_PATH = /(?:^|\/)(node_modules\/(?:(?:@[^/]+\/)?[^/]+\/node_modules\/)*(?:@[^/]+\/)?[^/]+)/;
const bundled = new Set();
const collect = (modules) => {
  for (const module of modules ?? []) {
    const match = PACKAGE_PATH.exec(module.name ?? '');
    if (match?.[1]) bundled.add(match[1]);
    collect(module.modules);
  }
};
for (const stats of allStats) {
  collect(stats.modules);
  for (const chunk of stats.chunks ?? []) collect(chunk.modules);
}

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const problems = [];
const usedVendored = new Set();

const sections = [...bundled]
  .map((path) => ({ path, name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length) }))
  .sort((a, b) => a.name.localeCompare(b.name) || a.path.localeCompare(b.path))
  .map(({ path, name }) => {
    const entry = lock.packages[path];
    if (!entry) return problems.push(`${name}: in the bundle but not in package-lock.json (${path})`), '';
    if (entry.dev) problems.push(`${name}: in the bundle but a development package: make it a dependency`);
    const installed = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')).version;
    if (installed !== entry.version) problems.push(`${name}: ${installed} is installed, package-lock.json has ${entry.version}: run npm ci`);
    if (!entry.license) problems.push(`${name}: package-lock.json has no licence for it`);

    const own = readdirSync(path)
      .filter((file) => /^(licen[cs]e|copying)([._-]|$)/i.test(file) && statSync(join(path, file)).isFile())
      .sort();
    const vendored = join(VENDORED, `${name}.txt`);
    let text = own.map((file) => readFileSync(join(path, file), 'utf8').trim()).join('\n\n');
    if (existsSync(vendored)) {
      usedVendored.add(vendored);
      if (own.length > 0) problems.push(`${name}: ships its own licence now: remove ${vendored}`);
      else text = readFileSync(vendored, 'utf8').trim();
    }
    if (!text) problems.push(`${name}: no licence text: the package ships no LICENSE file; put its licence in ${vendored}`);
    return `${name}\n${entry.license ?? 'UNKNOWN'}\n${text}`;
  });

const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
for (const file of existsSync(VENDORED) ? walk(VENDORED) : []) {
  if (!usedVendored.has(file)) problems.push(`${file}: no bundled package uses it: remove it`);
}

if (bundled.size === 0) problems.push(`the ncc stats name no package: has the stats format changed?`);
if (problems.length > 0) {
  process.stderr.write(`licenses: ${dist}/licenses.txt cannot be complete:\n${problems.map((p) => `  - ${p}\n`).join('')}`);
  process.exit(1);
}
writeFileSync(join(dist, 'licenses.txt'), `${sections.join('\n\n')}\n`);
