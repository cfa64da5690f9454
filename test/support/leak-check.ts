// The leak check every run of the action goes through. It reads the whole job's
// log (the main step, every later step, further invocations and the post steps,
// in the order they ran) as the runner reads it (runner-commands.ts): lines cut
// by ReadLine, commands parsed per step, stop-commands honoured. A mask counts
// only as a parsed, carried-out `add-mask` command whose data (unescaped, or one
// of its lines trimmed, as AddMaskCommandExtension registers them) is exactly the
// secret, issued before the line that shows the secret; masks hold for the rest
// of the job. A raw `::add-mask::` substring, an add-mask while commands are
// stopped, a mask of a longer or shorter value: none of them counts.
//
// Every secret the test lists must be masked by one of the action's main steps. What
// the fake servers issued (fake-token-endpoint.ts, hostile-server.ts) comes in as
// `issued`, with when: what was issued while a successful main step ran is the main
// step's and must be masked by it; what was issued later (keep-fresh's keycloak-token in
// later steps) must be masked before any line the runner shows holds it.
//
// Never, masked or not: a secret in the job summary, the saved state, an output
// that is not a secret's own, GITHUB_ENV (unless exported on purpose) or a file
// left under RUNNER_TEMP or the workspace after the post step; a 12-character
// piece of a secret in what the runner shows after masking (a cut or re-wrapped
// secret); encoded forms (form- and URI-encoded, JSON-escaped, Base64) anywhere.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CommandReader, maskValuesOf } from './runner-commands.js';
import type { OutputLine } from './runner-commands.js';
import type { ActionRun, LoggedStep, StepRun } from './run-action.js';

/** Outputs whose values are secrets, masked before they are set. */
export const SECRET_OUTPUTS = ['access-token', 'refresh-token', 'id-token', 'exchanged-token', 'aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'];

/** A token or credential a fake server handed out, and when (performance.now()). */
export interface Issued {
  value: string;
  at: number;
  /** What it is, for messages: 'access_token', 'SessionToken' ... never the value. */
  kind: string;
}

export interface LeakCheckOptions {
  /** Secrets that may appear in GITHUB_ENV (export-env: true). */
  allowedInEnv?: string[];
  /** What the fake servers issued during the job (their `issued` lists). */
  issued?: Issued[];
}

/** One line of the job's log as the runner handles it. */
export interface ShownLine {
  step: string;
  /** Index of the line within its step. */
  index: number;
  stream: OutputLine['stream'];
  raw: string;
  /** What the runner shows after masking; undefined for a carried-out add-mask (shown as nothing we count). */
  shown: string | undefined;
}

export interface JobLogReplay {
  lines: ShownLine[];
  /** Every mask value, with the position in `lines` of the add-mask that registered it first. */
  masks: Map<string, { at: number; step: string }>;
}

/** Reads the job's log as the runner does: commands per step, masks for the rest of the job. */
export function replayJobLog(log: LoggedStep[]): JobLogReplay {
  const lines: ShownLine[] = [];
  const masks = new Map<string, { at: number; step: string }>();
  for (const step of log) {
    const reader = new CommandReader();
    step.lines.forEach((line, index) => {
      const command = reader.read(line);
      const base = { step: step.name, index, stream: line.stream, raw: line.text };
      if (command?.name === 'add-mask') {
        for (const value of maskValuesOf(command)) if (!masks.has(value)) masks.set(value, { at: lines.length, step: step.name });
        // A blank add-mask registers nothing and shows a warning without the data.
        lines.push({ ...base, shown: undefined });
        return;
      }
      lines.push({ ...base, shown: applyMasks(line.text, [...masks.keys()]) });
    });
  }
  return { lines, masks };
}

/** The runner's SecretMasker: every occurrence of every value, overlaps merged, becomes ***. */
export function applyMasks(text: string, values: string[]): string {
  const hidden = new Array<boolean>(text.length).fill(false);
  for (const value of values) {
    if (value === '') continue;
    for (let at = text.indexOf(value); at >= 0; at = text.indexOf(value, at + 1)) hidden.fill(true, at, at + value.length);
  }
  let shown = '';
  for (let i = 0; i < text.length; i++) {
    if (!hidden[i]) shown += text[i];
    else if (i === 0 || !hidden[i - 1]) shown += '***';
  }
  return shown;
}

export interface Leak {
  /** The rule broken, with where; never the secret. */
  message: string;
  /** Which secret, as an index into the list the check was given (secrets, then issued). */
  secret: number;
  step?: string;
}

/** Every way a secret got out, by the rules at the top; [] when none. */
export function findLeaks(run: ActionRun, secrets: string[], options: LeakCheckOptions = {}): Leak[] {
  const leaks: Leak[] = [];
  const replay = replayJobLog(run.log);
  // The action's main steps: the first invocation's and those of further ones (job.runAction).
  const mainSteps: StepRun[] = [run, ...run.others.map((other) => other.main)];
  const issued = options.issued ?? [];
  const ownerOf = (item: Issued) => mainSteps.find((step) => item.at >= step.startedAt && item.at <= step.endedAt);
  const checked: { value: string; what: string; maskedBy: string[] | undefined }[] = [
    ...secrets.map((value) => ({ value, what: describe(value), maskedBy: mainSteps.map((step) => step.name) })),
    ...issued.map((item) => {
      const owner = ownerOf(item);
      // A main step that failed may have refused the whole answer (too large, not JSON) and never held what it carried.
      const maskedBy = owner !== undefined && owner.exitCode === 0 ? [owner.name] : undefined;
      return { value: item.value, what: `the ${item.kind} a fake server issued ${owner ? `during ${owner.name}` : 'after the main steps'} (${describe(item.value)})`, maskedBy };
    }),
  ];
  const files = filesUnder(run.runnerTemp, run.workspace);
  const actionSteps: [string, StepRun][] = [['main step', run], ['post step', run.post], ...run.others.flatMap((other, i): [string, StepRun][] => [[`main step ${i + 2}`, other.main], [`post step ${i + 2}`, other.post]])];
  const exposed = exposedTexts(replay, actionSteps, options);
  // Every line as written but the carried-out add-masks, whose data is escaped (% as %25) on purpose.
  const rawOutput = [replay.lines.flatMap((line) => (line.shown === undefined ? [] : [line.raw])).join('\n')];
  checked.forEach(({ value, what, maskedBy }, secret) => {
    const add = (message: string, step?: string) => leaks.push({ message, secret, step });
    // The runner masks within one line, so a multi-line secret needs a mask for each line.
    for (const piece of [...new Set(value.split(/\r\n|\r|\n/).map((line) => line.trim()))].filter((s) => s.length >= 4)) {
      const mask = replay.masks.get(piece);
      if (maskedBy !== undefined && !maskedBy.includes(mask?.step ?? '')) add(`${maskedBy.join(' or ')} registered no add-mask for ${what}${mask ? ` (the first one came from ${mask.step})` : ''}`);
      const shownAt = replay.lines.findIndex((line) => line.shown !== undefined && line.raw.includes(piece));
      if (shownAt >= 0 && (mask === undefined || mask.at > shownAt)) {
        const line = replay.lines[shownAt] as ShownLine;
        add(`${line.step}, line ${line.index + 1} (${line.stream}), shows ${what} ${mask === undefined ? 'and nothing ever masks it' : `before its add-mask (${mask.step})`}`, line.step);
      }
      for (const [label, step] of actionSteps) expectNotInStepFiles(step, label, piece, what, options, add);
      for (const [file, text] of files) if (text.includes(piece)) add(`${file} contains ${what} after the post step`);
      const found = pieceIn(piece, exposed);
      if (found !== undefined) add(`${found[0]} holds a ${PIECE}-character piece of ${what}`, found[2]);
      for (const [form, encoded] of encodedForms(piece)) {
        const anywhere = [...rawOutput, ...actionSteps.flatMap(([, step]) => [step.summary, JSON.stringify(step.outputs), JSON.stringify(step.env)]), ...files.map(([, text]) => text)];
        if (anywhere.some((text) => text.includes(encoded))) add(`the ${form} form of ${what} appears`);
      }
    }
  });
  return leaks;
}

export function expectNoLeaks(run: ActionRun, secrets: string[], options: LeakCheckOptions = {}): void {
  expect(findLeaks(run, secrets, options).map((leak) => leak.message)).toEqual([]);
}

function expectNotInStepFiles(step: StepRun, label: string, secret: string, what: string, options: LeakCheckOptions, add: (message: string) => void): void {
  if (step.summary.includes(secret)) add(`the ${label}'s job summary contains ${what}`);
  if (JSON.stringify(step.state).includes(secret)) add(`the ${label}'s saved state contains ${what}`);
  for (const [name, value] of Object.entries(step.outputs)) {
    if (!SECRET_OUTPUTS.includes(name) && value.includes(secret)) add(`the ${label}'s output ${name} contains ${what}`);
  }
  if (!options.allowedInEnv?.includes(secret) && JSON.stringify(step.env).includes(secret)) add(`the ${label}'s GITHUB_ENV contains ${what}`);
}

/** Where no piece of a secret may be: the job's log as the runner shows it (masked), and every file and value a secret is not allowed in. */
function exposedTexts(replay: JobLogReplay, steps: [string, StepRun][], options: LeakCheckOptions): Exposed[] {
  const allowedInEnv = options.allowedInEnv ?? [];
  const texts: Exposed[] = [];
  const byStep = new Map<string, string[]>();
  for (const line of replay.lines) if (line.shown !== undefined) byStep.set(line.step, [...(byStep.get(line.step) ?? []), line.shown]);
  for (const [step, shown] of byStep) texts.push([`${step}'s log as the runner shows it`, shown.join('\n'), step]);
  for (const [label, step] of steps) {
    texts.push([`the ${label}'s summary`, step.summary], [`the ${label}'s state`, JSON.stringify(step.state)]);
    texts.push([`the ${label}'s outputs that are not secrets`, Object.entries(step.outputs).filter(([name]) => !SECRET_OUTPUTS.includes(name)).map(([, value]) => value).join('\n')]);
    // An exported secret shares pieces with others (a JWT's header): take it out first.
    texts.push([`the ${label}'s GITHUB_ENV`, Object.values(step.env).filter((value) => !allowedInEnv.includes(value)).join('\n')]);
  }
  return texts;
}

/** Where, what it holds, and the step when it is a step's log. */
type Exposed = [string, string, string?];

const PIECE = 12;

/**
 * The first text that holds a 12-character piece of the secret, as a cut or
 * re-wrapped secret would leave it where no mask matches. Only pieces with a
 * capital or a digit count: a test's made-up secret such as 'client-secret-value'
 * shares lower-case words with the action's own messages.
 */
function pieceIn(secret: string, texts: Exposed[]): Exposed | undefined {
  const pieces = new Set<string>();
  for (let i = 0; i + PIECE <= secret.length; i++) {
    const piece = secret.slice(i, i + PIECE);
    if (/[A-Z0-9]/.test(piece)) pieces.add(piece);
  }
  if (pieces.size === 0) return undefined;
  for (const exposed of texts) {
    const text = exposed[1];
    for (let i = 0; i + PIECE <= text.length; i++) if (pieces.has(text.slice(i, i + PIECE))) return exposed;
  }
  return undefined;
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

/**
 * The job's log without the add-mask commands the runner carried out, unmasked: the
 * main step, later steps and the post steps. For messages and for asserting what
 * the action printed (masking would hide what it should not have printed at all).
 */
export function visibleLog(run: ActionRun): string {
  return replayJobLog(run.log)
    .lines.filter((line) => line.shown !== undefined)
    .map((line) => line.raw)
    .join('\n');
}

/** The job's log as the runner shows it: masked, without the add-mask commands. */
export function shownLog(run: ActionRun): string {
  return replayJobLog(run.log)
    .lines.flatMap((line) => line.shown ?? [])
    .join('\n');
}

/** The values the step registered with add-mask, in order, from stdout and stderr. */
export function maskedValues(run: StepRun): string[] {
  return run.commands.filter((command) => command.name === 'add-mask').map((command) => command.data);
}

function describe(secret: string): string {
  // Never the secret itself, not even a prefix: test output is a log too.
  return `a ${secret.length}-character secret`;
}
