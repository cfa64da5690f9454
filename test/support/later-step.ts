// A later `run:` step of the job: a new shell that knows only what the runner
// gives it (the job's variables, GITHUB_ENV, PATH with GITHUB_PATH in front).
// Its stdout and stderr go into the job's log as the runner reads them, so the
// leak check covers what later steps print.
import { spawn, spawnSync } from 'node:child_process';
import type { OutputLine, WorkflowCommand } from './runner-commands.js';
import { parseWorkflowCommands, readLines } from './runner-commands.js';
import type { JobContext } from './run-action.js';
import { readOutput } from './run-action.js';

export interface LaterStep {
  name: string;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  lines: OutputLine[];
  commands: WorkflowCommand[];
}

/** What a later step needs of the job; without `log` (after the job), its output is logged nowhere. */
export type LaterStepJob = Pick<JobContext, 'workspace' | 'laterStepEnv'> & Partial<Pick<JobContext, 'log'>>;

/**
 * The pids of keep-fresh's background refreshers for a session. pgrep never lists
 * itself; it exits 1 when nothing matches. Anything else (no pgrep on this machine,
 * a bad pattern) throws: an empty list must mean "none running", never "could not look".
 */
export function refreshersOf(stateDir: string): string[] {
  if (stateDir === '') throw new Error('refreshersOf: no state directory given (an empty pattern matches every process)');
  const found = spawnSync('pgrep', ['-f', `${stateDir} refresher`], { encoding: 'utf8' });
  if (found.error !== undefined) throw new Error(`refreshersOf: cannot run pgrep: ${found.error.message}`);
  if (found.status === 1) return [];
  if (found.status !== 0) throw new Error(`refreshersOf: pgrep failed with exit code ${found.status}: ${found.stderr}`);
  return found.stdout.trim().split('\n').filter(Boolean);
}

export async function runLaterStep(job: LaterStepJob, script: string, extraEnv: Record<string, string> = {}, name = `run: ${script}`): Promise<LaterStep> {
  const child = spawn('sh', ['-c', script], { cwd: job.workspace, env: { ...job.laterStepEnv, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = readOutput(child);
  const exitCode = await new Promise<number | null>((done) => child.on('close', done));
  const { lines, stdout, stderr } = output.end();
  const step = { name, exitCode, stdout, stderr, lines, commands: parseWorkflowCommands(lines) };
  job.log?.({ name, lines });
  return step;
}

/**
 * Logs a later step that ran elsewhere (in a container) from its whole stdout and
 * stderr. The order between the two streams is lost: stdout's lines come first.
 */
export function logLaterStep(job: Pick<JobContext, 'log'>, name: string, output: { stdout: string; stderr: string }): OutputLine[] {
  const lines: OutputLine[] = [
    ...readLines(output.stdout).map((text) => ({ stream: 'stdout' as const, text })),
    ...readLines(output.stderr).map((text) => ({ stream: 'stderr' as const, text })),
  ];
  job.log({ name, lines });
  return lines;
}
