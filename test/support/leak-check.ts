// The leak check every bundle run goes through: a secret may appear only in its
// own ::add-mask:: line, after which the runner hides it, and that line must come
// before any other line that contains it.
import { expect } from 'vitest';
import type { ActionRun } from './run-action.js';

export interface LeakCheckOptions {
  /** Secrets that may appear in GITHUB_ENV (export-env: true). */
  allowedInEnv?: string[];
}

export function expectNoLeaks(run: ActionRun, secrets: string[], options: LeakCheckOptions = {}): void {
  const lines = `${run.stdout}\n${run.stderr}`.split('\n');
  // The runner masks within one log line, so a multi-line secret needs a mask for each line.
  const pieces = secrets.flatMap((s) => s.split(/\r?\n/).map((line) => line.trim()));
  for (const secret of pieces.filter((s) => s.length >= 4)) {
    const maskLine = lines.findIndex((line) => line === `::add-mask::${secret}`);
    const firstUse = lines.findIndex((line) => line.includes(secret) && !line.startsWith('::add-mask::'));
    expect(firstUse, `a log line other than ::add-mask:: contains a secret (${describe(secret)})`).toBe(-1);
    expect(maskLine, `no ::add-mask:: line for ${describe(secret)}`).toBeGreaterThanOrEqual(0);
    expect(run.summary.includes(secret), `the job summary contains ${describe(secret)}`).toBe(false);
    expect(JSON.stringify(run.state).includes(secret), `the saved state contains ${describe(secret)}`).toBe(false);
    if (!options.allowedInEnv?.includes(secret)) {
      expect(JSON.stringify(run.env).includes(secret), `GITHUB_ENV contains ${describe(secret)}`).toBe(false);
    }
  }
}

/** Every line that is not an ::add-mask:: command. */
export function visibleLog(run: ActionRun): string {
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** The ::add-mask:: values in the order they were registered. */
export function maskedValues(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) => line.slice('::add-mask::'.length));
}

function describe(secret: string): string {
  // Never the secret itself, not even a prefix: test output is a log too.
  return `a ${secret.length}-character secret`;
}
