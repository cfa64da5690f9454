// A later `run:` step of the job: a new shell that knows only what the runner
// gives it (the job's variables, GITHUB_ENV, PATH with GITHUB_PATH in front).
import { execFileSync, spawn } from 'node:child_process';
import type { JobContext } from './run-action.js';

export interface LaterStep {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** The pids of keep-fresh's background refreshers for a session (pgrep, which never lists itself). */
export function refreshersOf(stateDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `${stateDir} refresher`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export function runLaterStep(job: JobContext, script: string, extraEnv: Record<string, string> = {}): Promise<LaterStep> {
  const child = spawn('sh', ['-c', script], { cwd: job.workspace, env: { ...job.laterStepEnv, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('close', (exitCode) => done({ exitCode, stdout, stderr })));
}
