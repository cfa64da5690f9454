// The README's reference tables say what action.yml and src/ say: every input
// with its required flag and default, every output, every failure kind.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STEP_FAILURE_KINDS } from '../src/failure.js';
import { ACTION } from './support/action-definition.js';

const README = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');

/** The rows of the first table after a heading: cells by column, the first cell's `names` split. */
function table(heading: string): { names: string[]; cells: string[] }[] {
  const section = README.slice(README.indexOf(`\n${heading}\n`));
  const lines = section.split('\n').slice(1);
  const start = lines.findIndex((line) => line.startsWith('|'));
  const rows = lines.slice(start + 2, start + 2 + lines.slice(start).findIndex((line) => !line.startsWith('|')) - 2);
  return rows.map((row) => {
    const cells = row.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
    return { names: [...(cells[0] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string), cells };
  });
}

describe('README', () => {
  it('lists every input of action.yml once, with its required flag and default', () => {
    const rows = table('## Inputs');
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
        else expect(shown, `${name}: default`).toBe(input?.required ? '' : `\`${declared === '' ? '""' : declared}\``);
      }
    }
  });

  it('lists every output of action.yml once', () => {
    expect(table('## Outputs').flatMap((row) => row.names).sort()).toEqual(Object.keys(ACTION.outputs).sort());
  });

  it('lists every failure kind the action can set, and no other', () => {
    expect(table('### Failure kinds').flatMap((row) => row.names).sort()).toEqual([...STEP_FAILURE_KINDS].sort());
  });
});
