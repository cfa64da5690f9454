// Minifies the chunks ncc splits off (the XML
// parser and the sealing code, loaded by import()): ncc minifies only the entry file, and unminified they would
// take dist/ past its size budget. Same output format (ESM), same behaviour.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';

const dist = process.argv[2] ?? 'dist';
for (const file of readdirSync(dist).filter((name) => /^\d+\.index\.js$/.test(name))) {
  const path = join(dist, file);
  const { code } = transformSync(readFileSync(path, 'utf8'), { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' });
  writeFileSync(path, code);
}
