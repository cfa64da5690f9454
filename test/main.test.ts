import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoreRecorder } from './support/core-recorder.js';
import type { FakeEndpoint } from './support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from './support/fake-token-endpoint.js';

const recorder = vi.hoisted(() => ({ current: undefined as unknown as ReturnType<typeof createCoreRecorder> }));
vi.mock('@actions/core', async () => {
  const { createCoreRecorder } = await import('./support/core-recorder.js');
  recorder.current = createCoreRecorder();
  return recorder.current.core;
});
const { run } = await import('../src/main.js');
const rec = () => recorder.current;

const sentRefresh = fakeJwt({ typ: 'Offline' }, 'sent');
const newRefresh = fakeJwt({ typ: 'Offline' }, 'new');
const tokens = { access_token: 'access-AAA', refresh_token: newRefresh, id_token: 'id-III', expires_in: 300, refresh_expires_in: 0, token_type: 'Bearer', scope: 'openid offline_access', session_state: 's1' };

let endpoint: FakeEndpoint;
let runnerTemp: string;
beforeAll(async () => {
  endpoint = await startFakeEndpoint();
});
afterAll(() => endpoint.close());
beforeEach(() => {
  rec().reset();
  runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'));
  vi.stubEnv('RUNNER_TEMP', runnerTemp);
  vi.stubEnv('GITHUB_STEP_SUMMARY', join(runnerTemp, 'summary'));
  Object.assign(rec().inputs, {
    'keycloak-url': endpoint.baseUrl,
    realm: 'test',
    'client-id': 'ceph-s3',
    'client-secret': 'client-SSS',
    'refresh-token': sentRefresh,
  });
  endpoint.respondWith((_, res) => json(res, 200, tokens));
});

describe('run (main step)', () => {
  it('masks the input secrets first and every returned token before any output', async () => {
    await run();
    const log = rec();
    expect(log.masked()).toEqual([sentRefresh, 'client-SSS', 'access-AAA', newRefresh, 'id-III']);
    for (const secret of [sentRefresh, 'client-SSS', 'access-AAA', newRefresh, 'id-III']) {
      const exposure = log.firstExposure(secret);
      if (exposure >= 0) expect(log.lastMaskOf(secret)).toBeLessThan(exposure);
    }
    expect(log.calls.some((c) => c.fn === 'setFailed')).toBe(false);
  });

  it('sets every documented output', async () => {
    await run();
    const outputs = rec().outputs();
    expect(outputs).toMatchObject({
      'access-token': 'access-AAA',
      'refresh-token': newRefresh,
      'id-token': 'id-III',
      'token-type': 'Bearer',
      scope: 'openid offline_access',
      'session-state': 's1',
      'expires-in': '300',
      'refresh-expires-in': '',
      'refresh-expires-at': '',
      'refresh-token-rotated': 'true',
      'access-token-file': '',
    });
    expect(outputs['expires-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('stays quiet about a new refresh token unless the realm revokes the stored one', async () => {
    const warnings = () => rec().calls.filter((c) => c.fn === 'warning').map((c) => c.args[0]);
    await run();
    expect(warnings()).toEqual([]);
    rec().reset();
    Object.assign(rec().inputs, { 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'c', 'refresh-token': 'eyJ.old', 'revoke-refresh-token': 'true' });
    await run();
    expect(warnings()).toEqual([expect.stringMatching(/^The realm revokes used refresh tokens \(revoke-refresh-token: true\), so the stored refresh-token secret is now used up: .*update-secret/)]);
    rec().reset();
    Object.assign(rec().inputs, { 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'c', 'refresh-token': newRefresh, 'revoke-refresh-token': 'true' });
    await run();
    expect(warnings()).toEqual([]);
  });

  it('exports env vars and writes the token file when asked', async () => {
    Object.assign(rec().inputs, { 'export-env': 'true', 'token-file': 'true' });
    await run();
    const exported = rec().calls.filter((c) => c.fn === 'exportVariable').map((c) => c.args);
    expect(exported).toEqual([
      ['KEYCLOAK_ACCESS_TOKEN', 'access-AAA'],
      ['KEYCLOAK_REFRESH_TOKEN', newRefresh],
      ['KEYCLOAK_ID_TOKEN', 'id-III'],
    ]);
    const file = rec().outputs()['access-token-file'] as string;
    expect(file.startsWith(runnerTemp)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('access-AAA');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(rec().state['token-file']).toBe(file);
  });

  it('writes a summary without tokens', async () => {
    await run();
    const rows = JSON.stringify(rec().summary.addTable.mock.calls);
    expect(rows).toContain('openid offline_access');
    expect(rows).toContain('Offline');
    for (const secret of ['access-AAA', newRefresh, 'id-III', sentRefresh, 'client-SSS']) expect(rows).not.toContain(secret);
  });

  it('only warns when the summary cannot be written: the tokens are out', async () => {
    rec().summary.write.mockRejectedValueOnce(new Error('EACCES'));
    await run();
    expect(rec().calls.filter((c) => c.fn === 'setFailed')).toEqual([]);
    expect(rec().calls.filter((c) => c.fn === 'warning').map((c) => c.args[0])).toContain('Could not write the job summary: EACCES');
    expect(rec().outputs()['access-token']).toBe('access-AAA');
  });

  it('fails with one classified line and sets only failure-kind', async () => {
    endpoint.respondWith((_, res) => json(res, 400, { error: 'invalid_grant', error_description: 'Token is not active' }));
    await run();
    const failed = rec().calls.filter((c) => c.fn === 'setFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.args[0]).toMatch(/^Keycloak refused the refresh \(400 invalid_grant: "Token is not active"\): the refresh token has expired/);
    expect(rec().outputs()).toEqual({ 'failure-kind': 'refresh-token-expired' });
  });

  it('rejects bad input before any request, masking the raw secrets first', async () => {
    const before = endpoint.requests.length;
    rec().inputs['refresh-token'] = 'two\nlines';
    await run();
    expect(endpoint.requests.length).toBe(before);
    expect(rec().calls[1]).toEqual({ fn: 'setSecret', args: ['two\nlines'] });
    expect(rec().masked()).toEqual(expect.arrayContaining(['two', 'lines']));
    expect(rec().calls.filter((c) => c.fn === 'setFailed').map((c) => c.args[0])).toEqual([
      "Input 'refresh-token' contains whitespace or a line break inside it: a token is a single word",
    ]);
  });
});

describe('run (check mode)', () => {
  it('introspects, sets the check outputs before failing below min-validity, and never prints a token', async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    endpoint.respondWith((req, res) =>
      req.url.endsWith('/introspect') ? json(res, 200, { active: true, typ: 'Offline', exp }) : json(res, 500, {}),
    );
    Object.assign(rec().inputs, { mode: 'check', 'min-validity': '1d' });
    await run();
    const outputs = rec().outputs();
    expect(outputs).toEqual({
      valid: 'false',
      active: 'true',
      'token-kind': 'Offline',
      'refresh-expires-at': new Date(exp * 1000).toISOString().replace('.000Z', 'Z'),
      'refresh-remaining-seconds': expect.stringMatching(/^35\d\d$/),
      'failure-kind': 'refresh-token-expiring',
    });
    const failed = rec().calls.findIndex((c) => c.fn === 'setFailed');
    expect(rec().calls[failed]?.args[0]).toMatch(/less than min-validity \(1d\)/);
    expect(rec().calls.map((c) => c.fn).lastIndexOf('setOutput')).toBeLessThan(failed);
    expect(JSON.stringify(rec().summary.addTable.mock.calls)).toContain('token introspection');
    expect(rec().masked()).toEqual([sentRefresh, 'client-SSS']);
  });

  it('checks by refresh for a public client and publishes the new tokens', async () => {
    delete rec().inputs['client-secret'];
    Object.assign(rec().inputs, { mode: 'check' });
    await run();
    expect(rec().outputs()).toMatchObject({ valid: 'true', active: 'true', 'access-token': 'access-AAA', 'refresh-token': newRefresh });
    expect(rec().calls.some((c) => c.fn === 'setFailed')).toBe(false);
  });
});

describe('run (post step)', () => {
  it('deletes the token file the main step wrote', async () => {
    Object.assign(rec().inputs, { 'token-file': 'true' });
    await run();
    const file = rec().outputs()['access-token-file'] as string;
    expect(file).toMatch(/^\/.+/);
    expect(existsSync(file)).toBe(true);
    await run();
    expect(existsSync(file)).toBe(false);
  });

  it('does nothing when no file was written', async () => {
    rec().state['is-post'] = 'true';
    await run();
    expect(rec().calls).toEqual([]);
  });
});

describe('run with client-auth: github-oidc', () => {
  const oidcToken = fakeJwt({ iss: 'https://token.actions.githubusercontent.com', sub: 'repo:acme/pipeline:ref:refs/heads/main', jti: 'j1' });
  beforeEach(() => {
    Object.assign(rec().inputs, { 'client-auth': 'github-oidc', 'client-secret': '' });
  });

  it('fails before any request when the job has no id-token permission', async () => {
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', '');
    const before = endpoint.requests.length;
    await run();
    expect(rec().calls.filter((c) => c.fn === 'setFailed').map((c) => c.args[0])).toEqual([
      expect.stringMatching(/runner offers none \(ACTIONS_ID_TOKEN_REQUEST_URL is not set\): add `permissions: id-token: write` to the job/),
    ]);
    expect(rec().outputs()).toEqual({ 'failure-kind': 'github-oidc-unavailable' });
    expect(endpoint.requests.length).toBe(before);
  });

  it("sends the job's OIDC token for the realm's issuer as client assertion, masked first", async () => {
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_URL', `${endpoint.baseUrl}/runner-token?api-version=2.0`);
    vi.stubEnv('ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'runner-request-token');
    // The runner's OIDC endpoint, and Keycloak, whose access token names the client it took the assertion for.
    endpoint.respondWith((request, res) =>
      request.url.startsWith('/runner-token') ? json(res, 200, { value: oidcToken }) : json(res, 200, { ...tokens, access_token: fakeJwt({ azp: 'ceph-s3' }, 'access') }),
    );
    const before = endpoint.requests.length;
    await run();
    expect(rec().calls.filter((c) => c.fn === 'setFailed')).toEqual([]);
    const [asked, sent] = endpoint.requests.slice(before);
    expect(asked).toMatchObject({ method: 'GET', url: `/runner-token?api-version=2.0&audience=${encodeURIComponent(`${endpoint.baseUrl}/realms/test`)}` });
    expect(asked?.headers.authorization).toBe('Bearer runner-request-token');
    const form = Object.fromEntries(sent?.form ?? []);
    expect(form).toEqual({
      grant_type: 'refresh_token',
      refresh_token: sentRefresh,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: oidcToken,
    });
    expect(rec().lastMaskOf(oidcToken)).toBeGreaterThanOrEqual(0);
    expect(rec().firstExposure(oidcToken)).toBe(-1);
  });
});

describe('run with role-to-assume: S3 credentials from RGW STS', () => {
  const sts = `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>TEMP-KEY-ID</AccessKeyId><SecretAccessKey>TEMP-SECRET</SecretAccessKey><SessionToken>TEMP-SESSION</SessionToken><Expiration>2026-11-27T13:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`;
  beforeEach(() => {
    Object.assign(rec().inputs, { 'role-to-assume': 'arn:aws:iam:::role/S3Access', 'sts-endpoint': `${endpoint.baseUrl}/sts`, 'export-env': 'true' });
    vi.stubEnv('GITHUB_REPOSITORY', 'acme/pipeline');
    vi.stubEnv('GITHUB_RUN_ID', '42');
    vi.stubEnv('AWS_REGION', '');
    vi.stubEnv('AWS_DEFAULT_REGION', '');
    endpoint.respondWith((request, res) => {
      if (request.url === '/sts') res.writeHead(200, { 'Content-Type': 'text/xml' }).end(sts);
      else json(res, 200, tokens);
    });
  });

  it('assumes the role with the new access token, masks the credentials first, and hands them over', async () => {
    const before = endpoint.requests.length;
    await run();
    expect(rec().calls.filter((c) => c.fn === 'setFailed')).toEqual([]);
    const stsForm = Object.fromEntries(endpoint.requests[before + 1]?.form ?? []);
    expect(stsForm).toMatchObject({ Action: 'AssumeRoleWithWebIdentity', RoleArn: 'arn:aws:iam:::role/S3Access', RoleSessionName: 'gh@acme@pipeline@42', WebIdentityToken: 'access-AAA', DurationSeconds: '3600' });
    for (const secret of ['TEMP-KEY-ID', 'TEMP-SECRET', 'TEMP-SESSION']) {
      expect(rec().lastMaskOf(secret)).toBeGreaterThanOrEqual(0);
      expect(rec().lastMaskOf(secret)).toBeLessThan(rec().firstExposure(secret));
    }
    expect(rec().outputs()).toMatchObject({
      'aws-access-key-id': 'TEMP-KEY-ID',
      'aws-secret-access-key': 'TEMP-SECRET',
      'aws-session-token': 'TEMP-SESSION',
      'aws-expiration': '2026-11-27T13:00:00Z',
    });
    const exported = Object.fromEntries(rec().calls.filter((c) => c.fn === 'exportVariable').map((c) => c.args as [string, string]));
    expect(exported).toMatchObject({
      AWS_ACCESS_KEY_ID: 'TEMP-KEY-ID',
      AWS_SECRET_ACCESS_KEY: 'TEMP-SECRET',
      AWS_SESSION_TOKEN: 'TEMP-SESSION',
      AWS_ENDPOINT_URL: `${endpoint.baseUrl}/sts`,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    });
  });

  it("keeps the job's region", async () => {
    vi.stubEnv('AWS_REGION', 'eu-central-1');
    await run();
    const exported = rec().calls.filter((c) => c.fn === 'exportVariable').map((c) => c.args[0]);
    expect(exported).not.toContain('AWS_REGION');
    expect(exported).not.toContain('AWS_DEFAULT_REGION');
  });

  it('fails with failure-kind sts-refused after publishing the tokens, so a rotated token is not lost', async () => {
    endpoint.respondWith((request, res) => {
      if (request.url === '/sts') res.writeHead(403, { 'Content-Type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message></Message></Error>');
      else json(res, 200, tokens);
    });
    await run();
    expect(rec().calls.filter((c) => c.fn === 'setFailed').map((c) => c.args[0])).toEqual([expect.stringMatching(/refused AssumeRoleWithWebIdentity for role arn:aws:iam:::role\/S3Access \(403 AccessDenied\)/)]);
    expect(rec().outputs()).toMatchObject({ 'refresh-token': newRefresh, 'failure-kind': 'sts-refused' });
  });
});
