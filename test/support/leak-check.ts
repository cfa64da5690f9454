// The leak check every run of the action goes through. A secret may appear in
// the log only in its own ::add-mask:: command, which must come before any other
// line that holds it (the runner masks only from then on), and never in the post
// step, the job summary, the saved state, an output that is not a secret's own,
// GITHUB_ENV (unless exported on purpose) or a file left under RUNNER_TEMP or the
// workspace. Encoded forms (form- and URI-encoded, JSON-escaped, Base64) and
// pieces of a secret are not masked by the runner, so they may not appear anywhere.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { ActionRun, StepRun } from './run-action.js';

/** Outputs whose values are secrets, masked before they are set. */
export const SECRET_OUTPUTS = ['access-token', 'refresh-token', 'id-token', 'audience-token', 'aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'];

export interface LeakCheckOptions {
  /** Secrets that may appear in GITHUB_ENV (export-env: true). */
  allowedInEnv?: string[];
}

export function expectNoLeaks(run: ActionRun, secrets: string[], options: LeakCheckOptions = {}): void {
  // The runner masks within one log line, so a multi-line secret needs a mask for each line.
  const pieces = [...new Set(secrets.flatMap((s) => s.split(/\r?\n/).map((line) => line.trim())))].filter((s) => s.length >= 4);
  const files = filesUnder(run.runnerTemp, run.workspace);
  const exposed = exposedTexts(run, options);
  for (const secret of pieces) {
    const what = describe(secret);
    const lines = run.lines.map((line) => line.text);
    const maskLine = lines.findIndex((line) => isMaskCommand(line) && line.includes(secret));
    const firstUse = lines.findIndex((line) => line.includes(secret) && !isMaskCommand(line));
    expect(firstUse, `a log line other than ::add-mask:: contains ${what}`).toBe(-1);
    expect(maskLine, `no ::add-mask:: line for ${what}`).toBeGreaterThanOrEqual(0);
    expect(run.post.lines.some((line) => line.text.includes(secret)), `the post step's log contains ${what}`).toBe(false);
    for (const step of [run, run.post]) expectNotInStepFiles(step, secret, what, options);
    for (const [file, text] of files) expect(text.includes(secret), `${file} contains ${what} after the post step`).toBe(false);
    expectNoPieceOf(secret, exposed, what);
    for (const [form, encoded] of encodedForms(secret)) {
      const anywhere = [run.stdout, run.stderr, run.post.stdout, run.post.stderr, run.summary, JSON.stringify(run.outputs), JSON.stringify(run.env), ...files.map(([, text]) => text)];
      expect(anywhere.some((text) => text.includes(encoded)), `the ${form} form of ${what} appears`).toBe(false);
    }
  }
}

function expectNotInStepFiles(step: StepRun, secret: string, what: string, options: LeakCheckOptions): void {
  expect(step.summary.includes(secret), `the job summary contains ${what}`).toBe(false);
  expect(JSON.stringify(step.state).includes(secret), `the saved state contains ${what}`).toBe(false);
  for (const [name, value] of Object.entries(step.outputs)) {
    if (!SECRET_OUTPUTS.includes(name)) expect(value.includes(secret), `output ${name} contains ${what}`).toBe(false);
  }
  if (!options.allowedInEnv?.includes(secret)) {
    expect(JSON.stringify(step.env).includes(secret), `GITHUB_ENV contains ${what}`).toBe(false);
  }
}

/** Where no piece of a secret may be: the log without its add-mask lines, and every file and value a secret is not allowed in. */
function exposedTexts(run: ActionRun, options: LeakCheckOptions): [string, string][] {
  const allowedInEnv = options.allowedInEnv ?? [];
  const texts: [string, string][] = [];
  for (const [label, step] of [['main step', run], ['post step', run.post]] as const) {
    texts.push([`the ${label}'s log`, step.lines.map((line) => line.text).filter((line) => !isMaskCommand(line)).join('\n')]);
    texts.push([`the ${label}'s summary`, step.summary], [`the ${label}'s state`, JSON.stringify(step.state)]);
    texts.push([`the ${label}'s outputs that are not secrets`, Object.entries(step.outputs).filter(([name]) => !SECRET_OUTPUTS.includes(name)).map(([, value]) => value).join('\n')]);
    // An exported secret shares pieces with others (a JWT's header): take it out first.
    texts.push([`the ${label}'s GITHUB_ENV`, Object.values(step.env).filter((value) => !allowedInEnv.includes(value)).join('\n')]);
  }
  return texts;
}

const PIECE = 12;

/**
 * No 12-character piece of a secret, as a cut or re-wrapped secret would leave
 * it where no mask matches. Only pieces with a capital or a digit count: a
 * test's made-up secret such as 'client-secret-value' shares lower-case words
 * with the action's own messages.
 */
function expectNoPieceOf(secret: string, texts: [string, string][], what: string): void {
  const pieces = new Set<string>();
  for (let i = 0; i + PIECE <= secret.length; i++) {
    const piece = secret.slice(i, i + PIECE);
    if (/[A-Z0-9]/.test(piece)) pieces.add(piece);
  }
  if (pieces.size === 0) return;
  for (const [where, text] of texts) {
    for (let i = 0; i + PIECE <= text.length; i++) {
      if (pieces.has(text.slice(i, i + PIECE))) expect.fail(`${where} holds a ${PIECE}-character piece of ${what}`);
    }
  }
}

function isMaskCommand(line: string): boolean {
  // The runner shows no add-mask command line, whatever its value (a multi-line secret comes escaped, in one).
  return line.trimStart().startsWith('::add-mask::');
}

/** The forms a secret takes when it is sent or stored, other than itself, where they differ from it. */
function encodedForms(secret: string): [string, string][] {
  const forms: [string, string][] = [
    ['form-encoded', new URLSearchParams({ x: secret }).toString().slice(2)],
    ['URI-encoded', encodeURIComponent(secret)],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['Base64', Buffer.from(secret).toString('base64')],
  ];
  return forms.filter(([, form]) => form !== secret);
}

/** Every file under the folders, with its text. */
function filesUnder(...dirs: string[]): [string, string][] {
  return dirs.flatMap((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .map((name) => join(dir, name))
      .filter((path) => statSync(path).isFile())
      .map((path): [string, string] => [path, readFileSync(path, 'utf8')]),
  );
}

/** Every line of the main and the post step that is not an ::add-mask:: command. */
export function visibleLog(run: ActionRun): string {
  return [...run.lines, ...run.post.lines]
    .map((line) => line.text)
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
}

/** The values the main step registered with add-mask, in order, from stdout and stderr. */
export function maskedValues(run: StepRun): string[] {
  return run.commands.filter((command) => command.name === 'add-mask').map((command) => command.data);
}

function describe(secret: string): string {
  // Never the secret itself, not even a prefix: test output is a log too.
  return `a ${secret.length}-character secret`;
}
