// Bad inputs against the committed bundle: each fails with one line that names
// the input, exit code 1, no request, and nothing leaked, with step debug on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeEndpoint } from './support/fake-token-endpoint.js';
import { json, startFakeEndpoint } from './support/fake-token-endpoint.js';
import { expectNoLeaks, visibleLog } from './support/leak-check.js';
import { runAction } from './support/run-action.js';

const refreshToken = 'stored-refresh-token-value';
const clientSecret = 'stored-client-secret-value';

let endpoint: FakeEndpoint;
beforeAll(async () => {
  endpoint = await startFakeEndpoint();
  endpoint.respondWith((_, res) => json(res, 200, { access_token: 'should-never-be-asked-for' }));
});
afterAll(() => endpoint.close());

const valid = () => ({
  'keycloak-url': endpoint.baseUrl,
  realm: 'test',
  'client-id': 'ci-confidential',
  'client-secret': clientSecret,
  'refresh-token': refreshToken,
});

const cases: [string, string, Record<string, string>][] = [
  ['refresh-token', 'empty', { 'refresh-token': '' }],
  ['refresh-token', 'only whitespace', { 'refresh-token': ' \t ' }],
  ['refresh-token', 'a line break inside', { 'refresh-token': `${refreshToken}\nsecond-line` }],
  ['refresh-token', 'a space inside', { 'refresh-token': `${refreshToken} tail` }],
  ['keycloak-url', 'missing', { 'keycloak-url': '' }],
  ['keycloak-url', 'not a URL', { 'keycloak-url': 'sso example com' }],
  ['keycloak-url', 'credentials inside', { 'keycloak-url': 'https://admin:hunter2@sso.example.com' }],
  ['keycloak-url', 'ftp://', { 'keycloak-url': 'ftp://sso.example.com' }],
  ['keycloak-url', 'a query', { 'keycloak-url': 'https://sso.example.com/?realm=test' }],
  ['keycloak-url', 'a fragment', { 'keycloak-url': 'https://sso.example.com/#x' }],
  ['keycloak-url', 'a realm path', { 'keycloak-url': 'https://sso.example.com/realms/test' }],
  ['realm', 'a slash', { realm: 'test/protocol' }],
  ['realm', '..', { realm: '..' }],
  ['realm', 'missing', { realm: '' }],
  ['client-id', 'missing', { 'client-id': ' ' }],
  ['client-secret', 'a line break inside', { 'client-secret': `${clientSecret}\nmore` }],
  ['timeout-seconds', 'zero', { 'timeout-seconds': '0' }],
  ['timeout-seconds', 'negative', { 'timeout-seconds': '-1' }],
  ['timeout-seconds', 'absurdly large', { 'timeout-seconds': '86400' }],
  ['timeout-seconds', 'not a number', { 'timeout-seconds': 'fifteen' }],
  ['timeout-seconds', 'Infinity', { 'timeout-seconds': 'Infinity' }],
  ['client-auth', 'an unknown value', { 'client-auth': 'private_key_jwt' }],
  ['client-auth', 'basic without a secret', { 'client-auth': 'basic', 'client-secret': '' }],
  ['export-env', 'not a boolean', { 'export-env': 'yes' }],
  ['token-file', 'not a boolean', { 'token-file': 'on' }],
  ['scope', 'a line break inside', { scope: 'openid\nemail' }],
  ['retries', 'absurdly many', { retries: '1000' }],
  ['retry-after-send', 'not a boolean', { 'retry-after-send': 'rotation is off' }],
  ['retry-after-send', 'true with rotation on', { 'retry-after-send': 'true', 'revoke-refresh-token': 'true' }],
  ['revoke-refresh-token', 'not a boolean (YAML 1.1 on)', { 'revoke-refresh-token': 'on' }],
  ['client-secret', 'set with client-auth github-oidc', { 'client-auth': 'github-oidc' }],
  ['oidc-audience', 'without client-auth github-oidc', { 'oidc-audience': 'https://sso.example.com/realms/test' }],
  ['role-to-assume', 'not an ARN', { 'role-to-assume': 'S3Access' }],
  ['role-to-assume', 'with mode check', { 'role-to-assume': 'arn:aws:iam:::role/S3Access', 'sts-endpoint': 'https://rgw.example.com', mode: 'check' }],
  ['sts-endpoint', 'missing with role-to-assume', { 'role-to-assume': 'arn:aws:iam:::role/S3Access' }],
  ['sts-endpoint', 'credentials inside', { 'role-to-assume': 'arn:aws:iam:::role/S3Access', 'sts-endpoint': 'https://key:secret@rgw.example.com' }],
  ['role-session-name', 'one character', { 'role-to-assume': 'arn:aws:iam:::role/S3Access', 'sts-endpoint': 'https://rgw.example.com', 'role-session-name': 'x' }],
  ['role-duration-seconds', 'under 60', { 'role-to-assume': 'arn:aws:iam:::role/S3Access', 'sts-endpoint': 'https://rgw.example.com', 'role-duration-seconds': '59' }],
  ['s3-endpoint', 'without role-to-assume', { 's3-endpoint': 'https://rgw.example.com' }],
  ['oidc-audience', 'two audiences', { 'client-auth': 'github-oidc', 'client-secret': '', 'oidc-audience': 'a b' }],
];

describe('bad inputs, run as the runner runs the action', () => {
  it.each(cases)("%s: %s", async (input, _, overrides) => {
    const before = endpoint.requests.length;
    const run = await runAction({ ...valid(), ...overrides }, { debug: true });

    expect(run.exitCode).toBe(1);
    const errors = run.commands.filter((command) => command.name === 'error').map((command) => command.line);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^::error::Input '${input}' [^%]+$`));
    expect(endpoint.requests.length).toBe(before);
    expect(run.outputs).toEqual({ 'failure-kind': 'input' });
    const secrets = [overrides['refresh-token'] ?? refreshToken, overrides['client-secret'] ?? clientSecret].filter((s) => s.trim() !== '');
    expectNoLeaks(run, secrets);
    expect(visibleLog(run)).not.toContain('hunter2');
  });

  it('refuses plain http:// to a host off the runner, and allows it with allow-insecure-http and a warning', async () => {
    const refused = await runAction({ ...valid(), 'keycloak-url': 'http://sso.invalid' });
    expect(refused.commands.filter((command) => command.name === 'error').map((command) => command.data)).toEqual([
      "Input 'keycloak-url' uses plain http:// to sso.invalid: tokens and secrets would travel unencrypted. Use https://, or set allow-insecure-http: true",
    ]);
    const allowed = await runAction({ ...valid(), 'keycloak-url': 'http://sso.invalid', 'allow-insecure-http': 'true', 'timeout-seconds': '2', retries: '0' });
    expect(visibleLog(allowed)).toContain('::warning::keycloak-url uses plain http:// to sso.invalid: tokens and secrets travel unencrypted (allow-insecure-http: true).');
  });
});
