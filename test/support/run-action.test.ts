// The runner emulation every test that runs the action goes through, checked
// point by point against a probe action (test/support/probe-action/).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StepRun } from './run-action.js';
import { runAction } from './run-action.js';

const PROBE = resolve(import.meta.dirname, 'probe-action');
const probe = (inputs: Record<string, string> = {}, options: Parameters<typeof runAction>[1] = {}) => runAction(inputs, { actionPath: PROBE, ...options });

interface Report {
  phase: string;
  node: string;
  script: string;
  cwd: string;
  nodeModules: boolean;
  env: Record<string, string>;
}

function report(step: StepRun): Report {
  const line = step.stdout.split('\n').find((l) => l.startsWith('REPORT '));
  if (line === undefined) throw new Error(`no report in: ${step.stdout}${step.stderr}`);
  return JSON.parse(line.slice('REPORT '.length));
}

afterEach(() => vi.unstubAllEnvs());

describe('runAction, the runner emulation', () => {
  it("passes every action.yml default as INPUT_*, empty ones included, under the test's inputs", async () => {
    const { env } = report(await probe({ 'no-default': 'given' }));
    const inputs = Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('INPUT_')));
    expect(inputs).toEqual({ 'INPUT_WITH-DEFAULT': 'from action.yml', 'INPUT_EMPTY-DEFAULT': '', 'INPUT_NO-DEFAULT': 'given', INPUT_MAIN: 'report' });
    expect(report(await probe({ 'with-default': 'from the test' })).env['INPUT_WITH-DEFAULT']).toBe('from the test');
  });

  it('refuses an input that action.yml does not declare', async () => {
    await expect(probe({ 'not-declared': 'x' })).rejects.toThrow('not inputs of action.yml: not-declared');
  });

  it('runs runs.main, then runs.post, with the Node of runs.using, from a copy of the action without node_modules', async () => {
    const run = await probe();
    const [main, post] = [report(run), report(run.post)];
    expect([main.phase, post.phase]).toEqual(['main', 'post']);
    expect(main.node.split('.')[0]).toBe('24');
    expect(main.script.endsWith('/probe.mjs')).toBe(true);
    expect(main.script.startsWith(PROBE)).toBe(false);
    expect(main.nodeModules).toBe(false);
    expect(main.env.GITHUB_ACTION_PATH).toBe(resolve(main.script, '..'));
  });

  it("gives the step the runner's variables and nothing of the test process", async () => {
    vi.stubEnv('SECRET_OF_THE_TEST_PROCESS', 'x');
    const run = await probe();
    const { env, cwd } = report(run);
    const names = Object.keys(env).filter((name) => !name.startsWith('INPUT_'));
    expect(names.sort()).toEqual(
      ['CI', 'GITHUB_ACTIONS', 'GITHUB_ACTION_PATH', 'GITHUB_API_URL', 'GITHUB_ENV', 'GITHUB_OUTPUT', 'GITHUB_PATH', 'GITHUB_REPOSITORY', 'GITHUB_RUN_ID', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_WORKSPACE', 'HOME', 'PATH', 'RUNNER_TEMP'].sort(),
    );
    expect(cwd).toBe(env.GITHUB_WORKSPACE);
    expect(env.GITHUB_WORKSPACE).toBe(run.workspace);
    expect(env.RUNNER_TEMP).toBe(run.runnerTemp);
    expect(report(await probe({}, { debug: true })).env.RUNNER_DEBUG).toBe('1');
    expect(report(await probe({}, { env: { HTTPS_PROXY: 'http://127.0.0.1:3128' } })).env.HTTPS_PROXY).toBe('http://127.0.0.1:3128');
  });

  it('reads file commands as the runner does, and gives later steps GITHUB_ENV and GITHUB_PATH', async () => {
    let laterPath = '';
    const run = await probe({ main: 'file-commands' }, { betweenSteps: async (_, job) => void (laterPath = job.laterStepEnv.PATH ?? '') });
    expect(run.outputs).toEqual({ plain: 'a=b', multi: 'line 1\n\nline 3' });
    expect(run.env).toEqual({ EXPORTED: 'yes' });
    expect(run.path).toEqual(['/opt/second/bin', '/opt/first/bin']);
    expect(laterPath.startsWith('/opt/second/bin:/opt/first/bin:')).toBe(true);
    expect(report(run.post).env.EXPORTED).toBe('yes');
  });

  it('fails on a malformed command file, as the runner fails the step', async () => {
    await expect(probe({ main: 'malformed' })).rejects.toThrow("Invalid format 'a line without a separator'");
  });

  it('reads workflow commands from stdout and stderr, the legacy form anywhere in a line, and honours stop-commands', async () => {
    const { commands } = await probe({ main: 'commands' });
    // Two pipes: the order between stdout and stderr is not kept, the order within each is.
    const seen = (stream: string) => commands.filter((c) => c.stream === stream).map(({ name, data, syntax }) => ({ name, data, syntax }));
    expect(seen('stderr')).toEqual([{ name: 'add-mask', data: 'on-stderr', syntax: 'v2' }]);
    expect(seen('stdout')).toEqual([
      { name: 'add-mask', data: 'on-stdout', syntax: 'v2' },
      { name: 'warning', data: 'a legacy command anywhere in a line', syntax: 'legacy' },
      { name: 'stop-commands', data: 'resume-token', syntax: 'v2' },
      { name: 'notice', data: 'after\nresume', syntax: 'v2' },
    ]);
    expect(commands.at(-1)?.properties).toEqual({ title: 'a,b' });
  });

  it('runs the post step with the same inputs and the saved state, also after a failed main step', async () => {
    const run = await probe({ main: 'fail', 'no-default': 'given' });
    expect(run.exitCode).toBe(1);
    expect(run.state).toEqual({ phase: 'main-done' });
    const post = report(run.post);
    expect(post.env.STATE_phase).toBe('main-done');
    expect(post.env['INPUT_NO-DEFAULT']).toBe('given');
    expect(post.env['INPUT_WITH-DEFAULT']).toBe('from action.yml');
  });

  it('runs the post step when a later step throws, then rethrows', async () => {
    let runnerTemp = '';
    const failing = probe({}, {
      betweenSteps: async (_, job) => {
        runnerTemp = job.runnerTemp;
        throw new Error('a later step failed');
      },
    });
    await expect(failing).rejects.toThrow('a later step failed');
    expect(existsSync(join(runnerTemp, 'post-ran'))).toBe(true);
  });

  it('kills a step that runs past its time limit, and says so', async () => {
    await expect(probe({ main: 'hang' }, { timeLimitMs: 1_000 })).rejects.toThrow('the step did not end within 1 s and was killed');
  });
});
