// What action.yml declares, read the way the runner reads it: the inputs with
// their defaults, and how to run the action (runs.using, runs.main, runs.post).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

export const ACTION_ROOT = resolve(import.meta.dirname, '../..');

export interface ActionYml {
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string; post?: string };
}

export function readAction(folder: string): ActionYml {
  return parse(readFileSync(resolve(folder, 'action.yml'), 'utf8'));
}

export const ACTION = readAction(ACTION_ROOT);

/** Every declared input with its default, '' for those without one: what the runner passes when a workflow sets nothing. */
export function actionDefaults(action: ActionYml = ACTION): Record<string, string> {
  return Object.fromEntries(Object.entries(action.inputs).map(([name, input]) => [name, String(input.default ?? '')]));
}

/** The inputs action.yml gives a non-empty default. */
export function inputsWithDefaults(): string[] {
  return Object.entries(actionDefaults())
    .filter(([, value]) => value !== '')
    .map(([name]) => name);
}
