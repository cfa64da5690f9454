// A second runner in the suite: nektos/act (pinned, built by scripts/act-tools.sh into
// ~/.cache/keycloak-action/act/) runs whole workflows of the README and docs/ on this
// machine (host mode, `-P ubuntu-latest=-self-hosted`), as GitHub's runner would run
// them for a user: the action from `./` after actions/checkout (act copies the local
// repository, no network), secrets from a file (never a command line), vars with --var.
// What a run returns comes from act's --json log (which steps ran, with what result,
// post steps included), act's exit code, and a last step the harness appends to each
// job that writes `toJSON(steps)` (the steps' outputs) to a file, never to the log.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { ACTION_ROOT } from '../../support/action-definition.js';
import { NODE_24 } from '../../support/run-action.js';

const SCRIPTS = resolve(import.meta.dirname, '../../../scripts');
/** The runner's PATH on a Linux machine, after Node 24 and the S3 clients (see actPath). */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The repository's step that the harness appends to each job: it writes the steps' outputs to a file. */
export const COLLECTOR_STEP = 'act-test: keep the steps context';

export interface ActTools {
  act: string;
  /** awscli and boto3 (pip), on PATH for the workflows' host steps. */
  venvBin: string;
}

let tools: Promise<ActTools> | undefined;

/** act and the S3 clients, built or installed when missing (scripts/act-tools.sh); throws, never skips. */
export function actTools(): Promise<ActTools> {
  tools ??= new Promise((done, fail) => {
    const child = spawn(join(SCRIPTS, 'act-tools.sh'), [], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      if (code !== 0) return fail(new Error('scripts/act-tools.sh failed: act cannot run the workflows (see the output above).'));
      const cache = out.trim();
      done({ act: join(cache, 'bin/act'), venvBin: join(cache, 'venv/bin') });
    });
  });
  return tools;
}

// ---------------------------------------------------------------------------
// The workflows of the documents
// ---------------------------------------------------------------------------

export interface DocWorkflow {
  /** e.g. docs/long-jobs.md line 12 */
  where: string;
  text: string;
}

/** Every ```yaml block of a document that is a whole workflow (has `jobs:`). */
export function docWorkflows(path: string): DocWorkflow[] {
  const text = readFileSync(join(ACTION_ROOT, path), 'utf8');
  return [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)]
    .filter((match) => /^jobs:/m.test(match[1] ?? ''))
    .map((match) => ({ where: `${path} line ${text.slice(0, match.index).split('\n').length + 1}`, text: match[1] ?? '' }));
}

/** The README and every document it links to, and those they link to: the Markdown files of this repository a reader can reach from the README. */
export function linkedDocuments(): string[] {
  const found = new Set(['README.md']);
  for (const document of found) {
    const text = readFileSync(join(ACTION_ROOT, document), 'utf8').replace(/^```[\s\S]*?^```$/gm, '');
    for (const match of text.matchAll(/\]\(([^)#\s:]+\.md)(?:#[^)]*)?\)/g)) {
      const target = normalize(join(dirname(document), match[1] ?? ''));
      if (!target.startsWith('..') && existsSync(join(ACTION_ROOT, target))) found.add(target);
    }
  }
  return [...found];
}

/** The one workflow of `path` whose text matches `pattern`: a test names what it runs by what it does, not by a copy. */
export function docWorkflow(path: string, pattern: RegExp): DocWorkflow {
  const found = docWorkflows(path).filter((workflow) => pattern.test(workflow.text));
  if (found.length !== 1) throw new Error(`${path}: ${found.length} workflows match ${pattern}, expected 1`);
  return found[0] as DocWorkflow;
}

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

interface Job {
  'runs-on'?: unknown;
  permissions?: unknown;
  services?: unknown;
  steps?: Step[];
  env?: Record<string, string>;
}

export interface Workflow {
  name?: string;
  on?: unknown;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

const THIS_ACTION = /\b[\w.-]+\/keycloak-token-refresh-action@[\w.-]+/g;
const isCheckout = (step: Step) => /^actions\/checkout@/.test(step.uses ?? '');

/**
 * The workflow as act runs it here: `OWNER/keycloak-token-refresh-action@v1` becomes `./`
 * (after an actions/checkout step, added first when the job has none), the text
 * substitutions (example hosts to the suite's servers), and the collector step last.
 */
export function prepareWorkflow(text: string, substitutions: [string | RegExp, string][] = []): Workflow {
  let replaced = text.replace(THIS_ACTION, './');
  for (const [from, to] of substitutions) replaced = replaced.replaceAll(from, to);
  const workflow = parse(replaced) as Workflow;
  for (const job of Object.values(workflow.jobs)) {
    const steps = job.steps ?? [];
    const first = steps.findIndex((step) => step.uses === './');
    if (first >= 0 && !steps.slice(0, first).some(isCheckout)) steps.unshift({ uses: 'actions/checkout@v4' });
    steps.push({
      name: COLLECTOR_STEP,
      if: 'always()',
      env: { ACT_TEST_STEPS: '${{ toJSON(steps) }}' },
      run: 'printf %s "$ACT_TEST_STEPS" > "$(mktemp "$ACT_TEST_RESULTS/${{ github.job }}-XXXXXX")"',
    });
    job.steps = steps;
  }
  return workflow;
}

/** Does the job get the runner's OIDC variables? As on GitHub: `id-token: write` for the job, or for the workflow when the job says nothing. */
export function grantsIdToken(workflow: Workflow, jobId: string): boolean {
  const job = workflow.jobs[jobId];
  const permissions = job?.permissions !== undefined ? job.permissions : workflow.permissions;
  if (permissions === 'write-all') return true;
  return typeof permissions === 'object' && permissions !== null && (permissions as Record<string, unknown>)['id-token'] === 'write';
}

// ---------------------------------------------------------------------------
// The repository act checks out
// ---------------------------------------------------------------------------

/**
 * A copy of this repository as a user's clone has it: the files git tracks or would
 * track (no node_modules, nothing ignored), committed on branch main, plus `extra`
 * files of the user's own project (a test script, a Makefile). act's actions/checkout
 * copies this folder's working tree into the job's workspace.
 */
export function repositoryCopy(extra: Record<string, string> = {}): string {
  const copy = mkdtempSync(join(tmpdir(), 'act-repo-'));
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ACTION_ROOT, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split('\0').filter((name) => name !== '')) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    try {
      cpSync(join(ACTION_ROOT, file), join(copy, file), { verbatimSymlinks: true });
    } catch (error) {
      // A tracked file deleted in the working tree is not in a clone either.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  for (const [file, content] of Object.entries(extra)) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    writeFileSync(join(copy, file), content);
    chmodSync(join(copy, file), 0o755);
  }
  const git = (...args: string[]) => {
    const result = spawnSync('git', ['-c', 'user.name=act-test', '-c', 'user.email=act-test@example.test', ...args], { cwd: copy, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
  };
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'the repository as a user clones it');
  return copy;
}

// ---------------------------------------------------------------------------
// Running act
// ---------------------------------------------------------------------------

/** One line of act's --json log. */
export interface ActEvent {
  level?: string;
  msg?: string;
  job?: string;
  jobID?: string;
  matrix?: Record<string, unknown>;
  stage?: string;
  step?: string;
  stepID?: string[];
  stepResult?: string;
  jobResult?: string;
  command?: string;
  raw?: string;
  arg?: string;
  raw_output?: boolean;
}

export interface StepResult {
  job: string;
  matrix: string;
  /** Main, Post (Pre when an action has one). */
  stage: string;
  /** The step's id, or act's index for a step without one. */
  id: string;
  name: string;
  result: string;
}

export interface StepContext {
  outputs: Record<string, string>;
  outcome: string;
  conclusion: string;
}

export interface ActRun {
  exitCode: number;
  /** Everything act wrote, stdout and stderr. */
  output: string;
  events: ActEvent[];
  /** Each step act reported a result for, in order (the collector step left out). */
  steps: StepResult[];
  jobResults: string[];
  /** The steps context of each job run (a matrix job once per combination), from the collector step. */
  contexts: { job: string; steps: Record<string, StepContext> }[];
  /** The messages the steps printed (act's msg of raw_output lines): the job log. */
  log: string;
}

export interface ActOptions {
  event: string;
  /** Only this job (act -j). */
  job?: string;
  /** Secrets, written to a 0600 --secret-file. */
  secrets?: Record<string, string>;
  /** Repository variables (--var NAME=VALUE). */
  vars?: Record<string, string>;
  /** Variables the runner itself sets for the job (GITHUB_REPOSITORY, GITHUB_API_URL, ACTIONS_ID_TOKEN_REQUEST_*), through --env-file. */
  runnerEnv?: Record<string, string>;
  /** The repository act checks out (repositoryCopy()). */
  repository: string;
  timeLimitMs?: number;
}

/** The variables the runner gives every job here: the repository of the docs' examples and a run id. */
export const RUNNER_ENV = { GITHUB_REPOSITORY: 'acme/pipeline', GITHUB_REPOSITORY_OWNER: 'acme', GITHUB_RUN_ID: '4242', GITHUB_API_URL: 'http://127.0.0.1:9' };

export async function runAct(workflow: Workflow, options: ActOptions): Promise<ActRun> {
  const { act, venvBin } = await actTools();
  const dir = mkdtempSync(join(tmpdir(), 'act-run-'));
  const results = join(dir, 'results');
  const home = join(dir, 'home');
  for (const folder of [results, home]) mkdirSync(folder);
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content, { mode: 0o600 });
    return join(dir, name);
  };
  const dotenv = (values: Record<string, string>) =>
    Object.entries(values).map(([name, value]) => {
      if (/[\n'"\\]/.test(value)) throw new Error(`${name}: a value act's env files cannot hold as written`);
      return `${name}='${value}'\n`;
    }).join('');
  const args = [
    options.event,
    '-W', file('workflow.yml', stringify(workflow, { lineWidth: 0 })),
    '-C', options.repository,
    '-P', 'ubuntu-latest=-self-hosted',
    '--json',
    // Off the network: checkout copies the local repository, nothing is pulled or fetched.
    '--action-offline-mode', '--pull=false', '--no-cache-server',
    '--action-cache-path', join(dir, 'act-cache'),
    '--secret-file', file('secrets', dotenv(options.secrets ?? {})),
    '--env-file', file('env', dotenv({ ...RUNNER_ENV, ...options.runnerEnv, ACT_TEST_RESULTS: results })),
    '--var-file', file('vars', ''),
    '--input-file', file('inputs', ''),
    ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ['--var', `${name}=${value}`]),
    ...(options.job ? ['-j', options.job] : []),
  ];
  // Host mode: steps inherit act's environment. Give them what a runner gives, no more:
  // Node 24 first (runs.using: node24), the S3 clients, the system's PATH and a fresh HOME.
  // ACT_DISABLE_VERSION_CHECK: act would otherwise ask api.nektosact.com for notices, the
  // one request to the internet in its command line (cmd/notices.go).
  const env = { PATH: [dirname(NODE_24), venvBin, SYSTEM_PATH].join(':'), HOME: home, LANG: 'C.UTF-8', ACT_DISABLE_VERSION_CHECK: '1' };
  const child = spawn(act, args, { env, cwd: options.repository, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timeLimitMs = options.timeLimitMs ?? 120_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeLimitMs);
  const exitCode = await new Promise<number | null>((done) => child.on('close', done));
  clearTimeout(timer);
  if (exitCode === null) throw new Error(`act did not end within ${timeLimitMs / 1000} s\n${output.slice(-4000)}`);
  const events = output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as ActEvent];
    } catch {
      return [];
    }
  });
  const steps = events
    .filter((event) => event.stepResult !== undefined && event.stage !== undefined && event.step !== COLLECTOR_STEP)
    .map((event) => ({
      job: event.jobID ?? '',
      matrix: JSON.stringify(event.matrix ?? {}),
      stage: event.stage ?? '',
      id: event.stepID?.[0] ?? '',
      name: event.step ?? '',
      result: event.stepResult ?? '',
    }));
  const contexts = readdirSync(results).map((name) => ({
    job: name.replace(/-[^-]+$/, ''),
    steps: JSON.parse(readFileSync(join(results, name), 'utf8')) as Record<string, StepContext>,
  }));
  // ACT_TEST_KEEP=1 keeps the workflow and act's output (tokens included: a local debugging aid only).
  if (process.env.ACT_TEST_KEEP) writeFileSync(join(dir, 'act-output.txt'), output);
  else rmSync(dir, { recursive: true, force: true });
  return {
    exitCode,
    output,
    events,
    steps,
    jobResults: events.filter((event) => event.jobResult !== undefined).map((event) => event.jobResult ?? ''),
    contexts,
    log: events.filter((event) => event.raw_output).map((event) => event.msg ?? '').join(''),
  };
}

/** The results act reported for one job's steps, as `stage id: result` lines (one matrix combination's when given). */
export function stepResults(run: ActRun, job: string, matrix?: Record<string, unknown>): string[] {
  const combination = matrix === undefined ? undefined : JSON.stringify(matrix);
  return run.steps.filter((step) => step.job === job && (combination === undefined || step.matrix === combination)).map((step) => `${step.stage} ${step.id}: ${step.result}`);
}

// ---------------------------------------------------------------------------
// The leak check on act's whole output
// ---------------------------------------------------------------------------

const PIECE = 12;
/** Base64url of `{"`: the start of every JWT (header) and of a JWT-shaped payload. */
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/** Commands whose `arg` is the value a step registered or wrote to a file command: act's structured copy, which the runner never shows. */
const VALUE_COMMANDS = new Set(['add-mask', 'set-output', 'save-state', 'set-env']);

/**
 * What act prints must hold no JWT-shaped string and no 12-character piece of any
 * secret. Read from each line of act's --json output: `msg` (the job log, masked as
 * the runner masks it: act's log without --json prints exactly this), `step` (the
 * step's title, expressions expanded), and the `raw` line a step wrote for any command
 * but add-mask (a secret there is one a step wrote outside its mask). Not read: the
 * value fields of add-mask, set-output, save-state and set-env (`arg`; `raw` of
 * add-mask), act's structured copy of what a step registered as a mask or wrote to
 * GITHUB_OUTPUT, GITHUB_STATE or GITHUB_ENV: the runner shows neither (its msg is `***`).
 * Lines that are not JSON (act's own errors) are read whole.
 * Returns the problems found, without the secrets themselves.
 */
export function leaksIn(run: ActRun, secrets: string[]): string[] {
  const text = run.output
    .split('\n')
    .map((line) => {
      let event: ActEvent;
      try {
        event = JSON.parse(line) as ActEvent;
      } catch {
        return line;
      }
      const valueCommand = VALUE_COMMANDS.has(event.command ?? '');
      return [event.msg, event.step, event.command === 'add-mask' ? undefined : event.raw, valueCommand ? undefined : event.arg].filter((part) => part !== undefined).join(' ');
    })
    .join('\n');
  const problems: string[] = [];
  const jwt = JWT_SHAPED.exec(text);
  if (jwt) problems.push(`a JWT-shaped string at offset ${jwt.index} of act's output`);
  const pieces = new Map<string, number>();
  for (const [n, secret] of secrets.filter((s) => s.length >= PIECE).entries()) {
    for (let i = 0; i + PIECE <= secret.length; i++) {
      const piece = secret.slice(i, i + PIECE);
      if (/[A-Z0-9]/.test(piece)) pieces.set(piece, n);
    }
  }
  for (let i = 0; i + PIECE <= text.length; i++) {
    const n = pieces.get(text.slice(i, i + PIECE));
    if (n !== undefined) {
      problems.push(`a ${PIECE}-character piece of secret #${n} (${(secrets[n] ?? '').length} characters) on line ${text.slice(0, i).split('\n').length}`);
      break;
    }
  }
  return problems;
}
