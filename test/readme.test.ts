// The reference tables of the README and docs/ say what action.yml and src/ say:
// every input with its required flag and default, every output, every failure kind.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STEP_FAILURE_KINDS } from '../src/failure.js';
import { ACTION } from './support/action-definition.js';

const read = (path: string) => readFileSync(resolve(import.meta.dirname, '..', path), 'utf8');

/**
 * The rows of every table in a file's section, from its heading to the next heading of the same
 * or a higher level (so the inputs' tables, grouped under ### headings, count as one): cells by
 * column, the first cell's `names` split.
 */
function table(path: string, heading: string): { names: string[]; cells: string[] }[] {
  const text = read(path);
  const level = heading.split(' ')[0] as string;
  const from = text.indexOf(`\n${heading}\n`);
  expect(from, `${path}: ${heading}`).toBeGreaterThanOrEqual(0);
  const lines = text.slice(from + 1).split('\n').slice(1);
  const end = lines.findIndex((line) => /^#+ /.test(line) && line.split(' ')[0]!.length <= level.length);
  const section = end === -1 ? lines : lines.slice(0, end);
  // A table's rows: its lines after the header and the |---| line.
  const rows = section.filter((line, i) => line.startsWith('|') && i >= 2 && section[i - 1]!.startsWith('|') && section[i - 2]!.startsWith('|'));
  return rows.map((row) => {
    const cells = row.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
    return { names: [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string), cells };
  });
}

describe('README and docs/', () => {
  it('lists every input of action.yml once, with its required flag and default', () => {
    const rows = table('README.md', '## Inputs');
    expect(rows.flatMap((row) => row.names).sort()).toEqual(Object.keys(ACTION.inputs).sort());
    for (const { names, cells } of rows) {
      for (const name of names) {
        const input = ACTION.inputs[name];
        const [, required, shown] = cells;
        // 'yes', 'no', or the condition under which it is needed ('with update-secret'): action.yml says required only for 'yes'.
        expect(required === 'yes', `${name}: required`).toBe(input?.required === true);
        const declared = String(input?.default ?? '');
        // A default applied in code (action.yml has none, see src/inputs.ts) must be stated in the description.
        if (declared === '' && shown !== '`""`' && shown !== '') expect(input?.description, `${name}: action.yml states the default`).toMatch(/Default: /);
        // No default in action.yml (a required input, or one such as refresh-token): an empty cell, not `""`.
        else expect(shown, `${name}: default`).toBe(input?.required || input?.default === undefined ? '' : `\`${declared === '' ? '""' : declared}\``);
      }
    }
  });

  it('lists every output of action.yml once', () => {
    expect(table('README.md', '## Outputs').flatMap((row) => row.names).sort()).toEqual(Object.keys(ACTION.outputs).sort());
  });

  it('lists every failure kind the action can set, and no other', () => {
    expect(table('docs/troubleshooting.md', '## Failure kinds').flatMap((row) => row.names).sort()).toEqual([...STEP_FAILURE_KINDS].sort());
  });
});
