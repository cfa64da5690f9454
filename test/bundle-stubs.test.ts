// The bundle's stand-ins (src/bundle-stubs/, wired by "paths" in tsconfig.json
// into the bundle only) against the real packages, which the other unit tests
// use: the same workflow commands, byte for byte, and the same answers.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Under vitest these are the real packages; tsc sees the stand-ins' types through "paths".
import * as realCore from '@actions/core';
import { HttpClient as RealHttpClient } from '@actions/http-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as stubCore from '../src/bundle-stubs/actions-core.js';
import { HttpClient as StubHttpClient } from '../src/bundle-stubs/http-client.js';
import type { FakeEndpoint } from './support/fake-token-endpoint.js';
import { json, startFakeEndpoint } from './support/fake-token-endpoint.js';

type Core = typeof stubCore;
// One place for the runner files: the summary module (the same one in both) remembers its file.
const dir = mkdtempSync(join(tmpdir(), 'core-parity-'));
const FILES = ['OUTPUT', 'STATE', 'ENV', 'STEP_SUMMARY'] as const;

/** Runs `script` against one implementation with fresh runner files; returns what the runner would read. */
async function transcript(core: Core, script: (core: Core) => unknown, env: Record<string, string> = {}) {
  for (const name of FILES) {
    writeFileSync(join(dir, name), '');
    vi.stubEnv(`GITHUB_${name}`, join(dir, name));
  }
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const stdout: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  let result: unknown;
  try {
    result = { value: await script(core) };
  } catch (error) {
    result = { thrown: (error as Error).constructor.name, message: (error as Error).message };
  } finally {
    write.mockRestore();
  }
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  const files = Object.fromEntries(FILES.map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
  const text = JSON.stringify({ result, exitCode, stdout, files, env: process.env.EXPORTED_BY_TEST });
  vi.unstubAllEnvs();
  delete process.env.EXPORTED_BY_TEST;
  return JSON.parse(text.replace(/ghadelimiter_[0-9a-f-]{36}/g, 'ghadelimiter_X'));
}

const same = async (script: (core: Core) => unknown, env: Record<string, string> = {}) => {
  const real = await transcript(realCore as unknown as Core, script, env);
  expect(await transcript(stubCore, script, env)).toEqual(real);
  return real;
};

const awkward = 'line 1\r\nline 2: 100%, done';

describe('the bundle stand-in for @actions/core', () => {
  afterEach(() => vi.unstubAllEnvs());

  it.each([
    ['a trimmed input', (c: Core) => c.getInput('my input'), { 'INPUT_MY_INPUT': '  value  ' }],
    ['an untrimmed input', (c: Core) => c.getInput('my input', { trimWhitespace: false }), { 'INPUT_MY_INPUT': '  value  ' }],
    ['a missing required input', (c: Core) => c.getInput('absent', { required: true }), {}],
    ['a boolean input', (c: Core) => c.getBooleanInput('flag'), { INPUT_FLAG: 'True' }],
    ['a bad boolean input', (c: Core) => c.getBooleanInput('flag'), { INPUT_FLAG: 'yes' }],
    ['a state', (c: Core) => c.getState('token-file'), { 'STATE_token-file': '/tmp/x' }],
    ['debug on', (c: Core) => c.isDebug(), { RUNNER_DEBUG: '1' }],
  ])('reads %s alike', async (_, script, env) => {
    await same(script, env);
  });

  it('writes file commands alike, with a fresh delimiter', async () => {
    const run = await same((c) => {
      c.saveState('is-post', 'true');
      c.setOutput('multi', awkward);
      c.setOutput('object', { a: 1 });
      c.setOutput('nothing', undefined);
      c.exportVariable('EXPORTED_BY_TEST', awkward);
    });
    expect(run.files.OUTPUT).toContain('multi<<ghadelimiter_X');
    expect(run.env).toBe(awkward);
  });

  it('falls back to stdout commands alike without the runner files', async () => {
    const noFiles = Object.fromEntries(FILES.map((name) => [`GITHUB_${name}`, '']));
    const run = await same((c) => {
      c.saveState('is-post', 'true');
      c.setOutput('multi', awkward);
      c.exportVariable('EXPORTED_BY_TEST', 'v');
    }, noFiles);
    expect(run.stdout.join('')).toContain('::save-state name=is-post::true');
  });

  it('writes log commands alike, escaped', async () => {
    await same((c) => {
      c.setSecret(awkward);
      c.info(awkward);
      c.debug(awkward);
      c.warning(awkward);
      c.warning(new Error(awkward));
      c.warning('w', { title: 'a: b, c', file: 'f.ts', startLine: 3, endLine: 4, startColumn: 1, endColumn: 2 });
      c.notice(awkward);
      c.error(awkward);
      c.setFailed(awkward);
    });
  });

  it('writes the job summary alike', async () => {
    const table = [[{ data: 'name', header: true }, 'value <b>'], ['a', 'b']];
    const run = await same(async (c) => {
      await c.summary.addHeading('Title', 3).addTable(table).write();
      await c.summary.addHeading('Again', 2).write();
    });
    expect(run.files.STEP_SUMMARY).toContain('<h3>Title</h3>');
  });
});

describe('the bundle stand-in for @actions/http-client', () => {
  let endpoint: FakeEndpoint;
  beforeAll(async () => {
    endpoint = await startFakeEndpoint();
    endpoint.respondWith((_, res) => json(res, 401, { error: 'unauthorized_client' }));
  });
  afterAll(() => endpoint.close());

  it('sends the same request and hands back the same answer', async () => {
    const send = async (client: RealHttpClient | StubHttpClient) => {
      const response = await client.request('POST', `${endpoint.baseUrl}/token`, 'a=1', { 'Content-Type': 'application/x-www-form-urlencoded' });
      const { method, headers, form } = endpoint.requests.at(-1) ?? {};
      return { status: response.message.statusCode, body: await response.readBody(), method, agent: headers?.['user-agent'], form: form?.toString() };
    };
    const options = { allowRedirects: false, allowRetries: false, keepAlive: false, socketTimeout: 5000 };
    const real = await send(new RealHttpClient('ua', [], options));
    expect(await send(new StubHttpClient('ua', [], options))).toEqual(real);
    expect(real).toMatchObject({ status: 401, method: 'POST', agent: 'ua', form: 'a=1' });
  });

  it("reads JSON alike, as @actions/core's OIDC client does for getIDToken", async () => {
    endpoint.respondWith((_, res) => json(res, 200, { value: 'a.b.c' }));
    const read = async (client: RealHttpClient | StubHttpClient) => {
      const response = await client.getJson<{ value: string }>(`${endpoint.baseUrl}/id-token?audience=x`, { Authorization: 'Bearer r' });
      return { status: response.statusCode, result: response.result, authorization: endpoint.requests.at(-1)?.headers.authorization };
    };
    const real = await read(new RealHttpClient('ua', []));
    expect(await read(new StubHttpClient('ua', []))).toEqual(real);
    expect(real).toEqual({ status: 200, result: { value: 'a.b.c' }, authorization: 'Bearer r' });
  });
});
