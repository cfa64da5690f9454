// Runs the committed dist/index.js as the runner would (`uses: ./`), against a
// fake token endpoint.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeEndpoint } from './support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from './support/fake-token-endpoint.js';
import { expectNoLeaks, maskedValues, visibleLog } from './support/leak-check.js';
import { runAction } from './support/run-action.js';

const sentRefresh = fakeJwt({ typ: 'Refresh', exp: 4_000_000_000 }, 'sent');
const newRefresh = fakeJwt({ typ: 'Refresh', exp: 4_000_000_000 }, 'new');
const clientSecret = 'client-secret-value';
const answer = {
  access_token: 'access-token-value',
  expires_in: 300,
  refresh_expires_in: 1800,
  refresh_token: newRefresh,
  id_token: 'id-token-value',
  token_type: 'Bearer',
  session_state: 'abc',
  scope: 'openid email',
};
const allSecrets = [sentRefresh, newRefresh, clientSecret, answer.access_token, answer.id_token];

let endpoint: FakeEndpoint;
beforeAll(async () => {
  endpoint = await startFakeEndpoint();
});
afterAll(() => endpoint.close());

const inputs = (extra: Record<string, string> = {}) => ({
  'keycloak-url': endpoint.baseUrl,
  realm: 'test',
  'client-id': 'ceph-s3',
  'client-secret': clientSecret,
  'refresh-token': sentRefresh,
  ...extra,
});

describe('dist/index.js', () => {
  it('refreshes, masks first, and publishes outputs, env, file and summary', async () => {
    endpoint.respondWith((_, res) => json(res, 200, answer));
    const before = endpoint.requests.length;
    let fileDuringJob = { text: '', mode: 0 };
    const run = await runAction(inputs({ 'export-env': 'true', 'token-file': 'true' }), {
      betweenSteps: async (main) => {
        const file = main.outputs['access-token-file'] ?? '';
        fileDuringJob = { text: readFileSync(file, 'utf8'), mode: statSync(file).mode & 0o777 };
      },
    });

    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(endpoint.requests.length - before).toBe(1);
    expect(endpoint.requests.at(-1)?.form.get('client_secret')).toBe(clientSecret);
    expect(maskedValues(run)).toEqual([sentRefresh, clientSecret, answer.access_token, newRefresh, answer.id_token]);
    expectNoLeaks(run, allSecrets, { allowedInEnv: [answer.access_token, newRefresh, answer.id_token] });

    expect(run.outputs).toMatchObject({
      'access-token': answer.access_token,
      'refresh-token': newRefresh,
      'id-token': answer.id_token,
      'token-type': 'Bearer',
      scope: 'openid email',
      'session-state': 'abc',
      'expires-in': '300',
      'refresh-expires-in': '1800',
      'refresh-token-rotated': 'true',
    });
    const expiresAt = Date.parse(run.outputs['expires-at'] ?? '');
    expect(Math.abs(expiresAt - Date.now() - 300_000)).toBeLessThan(60_000);
    expect(run.env).toEqual({
      KEYCLOAK_ACCESS_TOKEN: answer.access_token,
      KEYCLOAK_REFRESH_TOKEN: newRefresh,
      KEYCLOAK_ID_TOKEN: answer.id_token,
    });
    const file = run.outputs['access-token-file'] ?? '';
    expect(file.startsWith(run.runnerTemp)).toBe(true);
    expect(fileDuringJob).toEqual({ text: answer.access_token, mode: 0o600 });
    // Quiet: Keycloak always issues a new refresh token; with rotation off that needs no action.
    expect(visibleLog(run)).not.toContain('::warning::');
    expect(visibleLog(run)).toContain('::debug::Keycloak issued a new refresh token, as it does on every refresh');
    expect(run.summary).toContain('<td>test</td>');
    expect(run.summary).toContain('yes: a new refresh token was issued');

    expect(run.post.exitCode).toBe(0);
    expect(run.post.stdout).toContain(`Deleted the access token file ${file}.`);
    expect(file).not.toBe('');
    expect(existsSync(file)).toBe(false);
  });

  it("client-auth github-oidc: asks the runner for the job's OIDC token and sends it as client assertion", async () => {
    const oidcToken = fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main', jti: 'one' }, 'oidc');
    endpoint.respondWith((request, res) => {
      if (request.url.startsWith('/runner-token')) json(res, 200, { value: oidcToken });
      else json(res, 200, { ...answer, access_token: fakeJwt({ azp: 'ceph-s3' }, 'access') });
    });
    const before = endpoint.requests.length;
    const run = await runAction(inputs({ 'client-auth': 'github-oidc', 'client-secret': '' }), {
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${endpoint.baseUrl}/runner-token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    const [runner, keycloak] = endpoint.requests.slice(before);
    expect(runner?.url).toBe(`/runner-token?api-version=2.0&audience=${encodeURIComponent(`${endpoint.baseUrl}/realms/test`)}`);
    expect(runner?.headers.authorization).toBe('Bearer runner-request-token');
    expect(keycloak?.form.get('client_assertion')).toBe(oidcToken);
    expect(visibleLog(run)).not.toContain('runner-request-token');
    expectNoLeaks(run, [oidcToken, sentRefresh, run.outputs['access-token'] ?? '']);
  });

  it('fails with exit code 1 and one classified line, without a stack trace', async () => {
    endpoint.respondWith((_, res) => json(res, 401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' }));
    const run = await runAction(inputs());
    expect(run.exitCode).toBe(1);
    const errors = run.commands.filter((command) => command.name === 'error').map((command) => command.line);
    expect(errors).toEqual([expect.stringMatching(/^::error::Keycloak refused the refresh \(401 unauthorized_client: .*client secret/)]);
    expect(visibleLog(run)).not.toMatch(/\bat .*index\.js/);
    expect(run.outputs).toEqual({ 'failure-kind': 'client-secret-rejected' });
    expectNoLeaks(run, [sentRefresh, clientSecret]);
  });

  it('rejects a bad input before any request', async () => {
    const before = endpoint.requests.length;
    const run = await runAction(inputs({ realm: '../master' }));
    expect(run.exitCode).toBe(1);
    expect(visibleLog(run)).toContain("::error::Input 'realm' must be a realm name, not a path");
    expect(endpoint.requests.length).toBe(before);
    expectNoLeaks(run, [sentRefresh, clientSecret]);
  });

  it('leaks nothing with step debug on, and shows the stack only then', async () => {
    endpoint.respondWith((_, res) => json(res, 400, { error: 'invalid_grant', error_description: 'Token is not active' }));
    const run = await runAction(inputs(), { debug: true });
    expect(run.exitCode).toBe(1);
    expect(visibleLog(run)).toContain('::debug::Token endpoint http://127.0.0.1');
    expect(visibleLog(run)).toMatch(/::debug::KeycloakError: /);
    expectNoLeaks(run, [sentRefresh, clientSecret]);
  });
});

describe('every mode with only its required inputs and the action.yml defaults', () => {
  const stsAnswer = `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>alice</SubjectFromWebIdentityToken>
<Credentials><AccessKeyId>TEMPKEYID0001</AccessKeyId><Expiration>2030-01-01T00:00:00Z</Expiration><SecretAccessKey>temp-secret-access-key-0001</SecretAccessKey><SessionToken>temp-session-token-0001</SessionToken></Credentials>
</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`;
  const oidcToken = fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main' }, 'oidc-minimal');
  const required = () => ({ 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'ceph-s3' });

  beforeAll(() => {
    endpoint.respondWith((request, res) => {
      if (request.url.startsWith('/runner-token')) return json(res, 200, { value: oidcToken });
      if (request.url.endsWith('/introspect')) return json(res, 200, { active: true, typ: 'Refresh', exp: 4_000_000_000, client_id: 'ceph-s3' });
      if (request.form.get('Action') === 'AssumeRoleWithWebIdentity') {
        res.writeHead(200, { 'Content-Type': 'text/xml' });
        return res.end(stsAnswer);
      }
      json(res, 200, { ...answer, access_token: fakeJwt({ azp: 'ceph-s3', aud: 'ceph-s3', exp: 4_000_000_000 }, 'minimal') });
    });
  });

  it.each<[string, Record<string, string>, Record<string, string>?]>([
    ['refresh', { 'refresh-token': sentRefresh }],
    ['check (public client: by refresh)', { 'refresh-token': sentRefresh, mode: 'check' }],
    ['check (confidential client: by introspection)', { 'refresh-token': sentRefresh, 'client-secret': clientSecret, mode: 'check' }],
    ['fallback: password', { fallback: 'password', username: 'alice', password: 'alice-password-1' }],
    ['fallback: client-credentials', { fallback: 'client-credentials', 'client-secret': clientSecret }],
    ['client-auth: github-oidc', { 'client-auth': 'github-oidc' }, { ACTIONS_ID_TOKEN_REQUEST_URL: '/runner-token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' }],
    ['role-to-assume', { 'refresh-token': sentRefresh, 'role-to-assume': 'arn:aws:iam:::role/ci-writer', 'sts-endpoint': '' }],
    ['token-file', { 'refresh-token': sentRefresh, 'token-file': 'true' }],
    ['export-env', { 'refresh-token': sentRefresh, 'export-env': 'true' }],
  ])('%s', async (_, modeInputs, env = {}) => {
    const withUrls = Object.fromEntries(Object.entries(modeInputs).map(([name, value]) => [name, name === 'sts-endpoint' ? endpoint.baseUrl : value]));
    const jobEnv = Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.startsWith('/') ? `${endpoint.baseUrl}${value}` : value]));
    const run = await runAction({ ...required(), ...withUrls }, { env: jobEnv });
    expect(run.commands.filter((command) => command.name === 'error'), visibleLog(run)).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.post.exitCode).toBe(0);
    expect(run.outputs['failure-kind']).toBeUndefined();
  });
});
