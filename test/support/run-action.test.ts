// The runner emulation every test that runs the action goes through, checked
// point by point against a probe action (test/support/probe-action/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACTION_ROOT } from './action-definition.js';
import { runLaterStep } from './later-step.js';
import { dotnetTrimStart, readLines } from './runner-commands.js';
import type { StepRun } from './run-action.js';
import { actionFolder, copyTrackedFiles, runAction, trackedFiles } from './run-action.js';

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
      { name: 'resume-token', data: '', syntax: 'v2' },
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
    expect(runnerTemp).not.toBe('');
    expect(existsSync(join(runnerTemp, 'post-ran'))).toBe(true);
  });

  it('kills a step that runs past its time limit, and says so', async () => {
    await expect(probe({ main: 'hang' }, { timeLimitMs: 1_000 })).rejects.toThrow('the step did not end within 1 s and was killed');
  });

  it("cuts the output into lines as .NET's StreamReader.ReadLine does: at \r, \n and \r\n, also across pipe reads", async () => {
    const run = await probe({ main: 'line-ends' });
    const stdout = run.lines.filter((line) => line.stream === 'stdout').map((line) => line.text);
    expect(stdout.slice(0, -1)).toEqual([
      '::add-mask::cr-only',
      '::warning::after-cr',
      '::notice::after-crlf',
      'plain',
      '',
      'after-empty',
      // \r at the end of one read, \n at the start of the next: one line end.
      'split-line',
      // U+2028, U+0085 and form feed end no line.
      'not\u2028a\u0085line\fend',
      '',
      // A character cut in two by the pipe is decoded whole.
      '€ in two reads',
    ]);
    expect(stdout.at(-1)?.startsWith('REPORT ')).toBe(true);
    expect(run.lines.filter((line) => line.stream === 'stderr').map((line) => line.text)).toEqual(['last without an end']);
    // Each of the first three is a command of its own: a bare \r ends the add-mask line.
    expect(run.commands.map(({ name, data }) => [name, data])).toEqual([['add-mask', 'cr-only'], ['warning', 'after-cr'], ['notice', 'after-crlf']]);
    expect(readLines('a\r\nb\n\rc\r')).toEqual(['a', 'b', '', 'c']);
    expect(readLines('')).toEqual([]);
  });

  it(".NET's TrimStart before `::` (U+0085, U+00A0, U+2028 ... but not U+FEFF), command names in any case, refused stop tokens", async () => {
    const run = await probe({ main: 'white-space' });
    const commands = run.commands.map(({ name, data }) => [name, data]);
    expect(commands).toEqual([
      ...['nel', 'nbsp', 'ls', 'ps', 'ideographic', 'tab', 'vt'].map((name) => ['warning', name]),
      ['add-mask', 'upper-case'],
      ['warning', 'mixed-case'],
      // Refused: a command's name, empty, pause-logging; they stop nothing.
      ['stop-commands', 'add-mask'],
      ['stop-commands', ''],
      ['stop-commands', 'PAUSE-LOGGING'],
      ['notice', 'still-read'],
      ['stop-commands', 'Resume-Me'],
      // The token comes back in another case: the runner compares ignoring case.
      ['RESUME-ME', ''],
      ['add-mask', 'after%resume\nline\r'],
    ]);
    expect(run.lines.filter((line) => line.text.endsWith('::warning::not trimmed'))).toHaveLength(4);
    expect(dotnetTrimStart('\u0085\u00a0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000\t\n\v\f\r x')).toBe('x');
    expect(dotnetTrimStart('\ufeffx')).toBe('\ufeffx');
    expect(dotnetTrimStart('\u200bx')).toBe('\u200bx');
  });

  it('copies only the files git tracks, with their working-tree contents', () => {
    const repo = mkdtempSync(join(tmpdir(), 'tracked-'));
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
    git('init', '-q');
    writeFileSync(join(repo, 'action.yml'), 'committed');
    writeFileSync(join(repo, 'deleted.js'), 'committed');
    git('add', '.');
    git('commit', '-q', '-m', 'first');
    writeFileSync(join(repo, 'action.yml'), 'changed in the working tree');
    writeFileSync(join(repo, 'untracked-chunk.js'), 'never added');
    execFileSync('rm', [join(repo, 'deleted.js')]);
    const copy = mkdtempSync(join(tmpdir(), 'tracked-copy-'));
    copyTrackedFiles(repo, copy);
    expect(readdirSync(copy).sort()).toEqual(['action.yml']);
    expect(readFileSync(join(copy, 'action.yml'), 'utf8')).toBe('changed in the working tree');
    // The action itself: exactly what git tracks, dist/ included, no node_modules.
    const folder = actionFolder();
    const copied = readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => !entry.isDirectory()).map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1));
    expect(copied.sort()).toEqual(trackedFiles(ACTION_ROOT).sort());
    expect(copied).toContain('dist/index.js');
    expect(copied.some((file) => file.split('/').includes('node_modules'))).toBe(false);
  });

  it('runs a second invocation in the same job: same RUNNER_TEMP, the env and PATH exported so far, its own inputs and state; post steps last one first', async () => {
    const seen: Record<string, Report> = {};
    const run = await probe({ main: 'export', 'no-default': 'first' }, {
      betweenSteps: async (main, job) => {
        const second = await job.runAction({ main: 'export', 'no-default': 'second' }, { env: { STEP_ENV: 'only-this-step' } });
        seen.second = report(second);
        expect(second.state).toEqual({ phase: 'main-done', id: 'second' });
        expect(main.state).toEqual({ phase: 'main-done', id: 'first' });
        expect(job.laterStepEnv).toMatchObject({ FROM_first: 'yes', FROM_second: 'yes' });
        expect(job.laterStepEnv.PATH?.startsWith('/opt/second/bin:/opt/first/bin:')).toBe(true);
        const later = await runLaterStep(job, 'echo "$FROM_first $FROM_second"', {}, 'echo');
        expect(later.stdout).toBe('yes yes\n');
      },
    });
    const second = seen.second as Report;
    expect(second.env.RUNNER_TEMP).toBe(run.runnerTemp);
    expect(second.env.GITHUB_WORKSPACE).toBe(run.workspace);
    expect(second.env.FROM_first).toBe('yes');
    expect(second.env.FROM_second).toBeUndefined();
    expect(second.env.STEP_ENV).toBe('only-this-step');
    expect(second.env['INPUT_NO-DEFAULT']).toBe('second');
    expect(second.env.PATH?.startsWith('/opt/first/bin:')).toBe(true);
    // The runner runs post steps in reverse order, each with its own state and inputs and the job's whole env.
    expect(readFileSync(join(run.runnerTemp, 'post-order'), 'utf8')).toBe('second\nfirst\n');
    const [firstPost, secondPost] = [report(run.post), report(run.others[0]?.post as StepRun)];
    expect([firstPost.env.STATE_id, secondPost.env.STATE_id]).toEqual(['first', 'second']);
    expect(firstPost.env.FROM_second).toBe('yes');
    expect(firstPost.env.STEP_ENV).toBeUndefined();
    expect(secondPost.env.STEP_ENV).toBe('only-this-step');
    expect(run.log.map((step) => step.name)).toEqual(['main', 'main-2', 'echo', 'post-2', 'post']);
  });
});
