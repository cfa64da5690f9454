// Writes DIST/licenses.txt: the license of every package the bundle contains.
// ncc's own --license keeps only the last chunk's packages once the bundle is
// split (the lazily loaded libsodium chunk), so the list comes from the lock
// file instead: the production packages (the stand-ins of bundle-stubs/ are
// development packages and carry no third-party code).
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = process.argv[2] ?? 'dist';
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));

const sections = Object.entries(lock.packages)
  .filter(([path, entry]) => path.startsWith('node_modules/') && !entry.dev)
  .map(([path, entry]) => ({ path, name: path.slice('node_modules/'.length), license: entry.license }))
  .sort((a, b) => a.name.localeCompare(b.name))
  .map(({ path, name, license }) => {
    const file = readdirSync(path).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file && existsSync(join(path, file)) ? readFileSync(join(path, file), 'utf8').trim() : '';
    return `${name}\n${license ?? 'UNKNOWN'}\n${text}`;
  });

writeFileSync(join(dist, 'licenses.txt'), `${sections.join('\n\n')}\n`);
