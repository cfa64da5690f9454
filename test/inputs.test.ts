import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InputError } from '../src/input-values.js';
import type { ActionInputs } from '../src/inputs.js';
import { parseInputs } from '../src/inputs.js';

const valid: Record<string, string> = {
  'keycloak-url': 'https://sso.example.com',
  realm: 'test',
  'client-id': 'ceph-s3',
  'refresh-token': 'eyJ.refresh.token',
};

const parse = (overrides: Record<string, string>) => parseInputs((name) => ({ ...valid, ...overrides })[name] ?? '');

// What GitHub's runner passes: every action.yml default, whether the workflow set the input or not.
const action = parseYaml(readFileSync(join(import.meta.dirname, '..', 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>;
};
const actionDefaults = Object.fromEntries(
  Object.entries(action.inputs).flatMap(([name, input]) => (input.default ? [[name, input.default] as const] : [])),
);
const asRunnerPasses = (inputs: Record<string, string>) => parseInputs((name) => inputs[name] ?? actionDefaults[name] ?? '');

// Each input that has an action.yml default, read back from the parsed inputs as the text that default is.
const parsedAsInputText: Record<string, (inputs: ActionInputs) => string> = {
  mode: (inputs) => inputs.mode,
  // auto: introspection for a confidential client, a refresh for a public one (valid is public).
  'check-method': (inputs) => (inputs.check.method === 'refresh' ? 'auto' : inputs.check.method),
  'client-auth': (inputs) => inputs.client.clientAuth,
  fallback: (inputs) => inputs.tokens.fallback,
  'timeout-seconds': (inputs) => String(inputs.connection.timeoutMs / 1000),
  retries: (inputs) => String(inputs.connection.retries),
  'retry-after-send': (inputs) => String(inputs.connection.retryAfterSend),
  'revoke-refresh-token': (inputs) => String(inputs.connection.rotation === 'on'),
  'export-env': (inputs) => String(inputs.publishing.exportEnv),
  'token-file': (inputs) => String(inputs.publishing.tokenFile),
  'allow-insecure-http': (inputs) => String(inputs.allowInsecureHttp),
  'keep-fresh': (inputs) => String(inputs.keepFresh.keepFresh),
  'revoke-on-post': (inputs) => String(inputs.revocation.revokeOnPost),
  'exchange-only': (inputs) => String(inputs.audience?.only ?? false),
};

const describedDefault = (name: string) => action.inputs[name]?.description.match(/Default: ([^.]+)\./)?.[1];

describe('parseInputs', () => {
  it('applies the documented defaults: every action.yml default', () => {
    expect(Object.keys(parsedAsInputText).sort()).toEqual(Object.keys(actionDefaults).sort());
    const { inputs, warnings } = asRunnerPasses(valid);
    for (const [name, readBack] of Object.entries(parsedAsInputText)) expect([name, readBack(inputs)]).toEqual([name, actionDefaults[name]]);
    // The same when the runner passes nothing (core.getInput outside a runner): code and action.yml agree.
    expect(parse({}).inputs).toEqual(inputs);
    expect(inputs).toMatchObject({ check: { minValiditySeconds: undefined, warnValiditySeconds: undefined }, updateSecret: undefined, s3Role: undefined });
    expect(warnings).toEqual([]);
  });

  it("applies the defaults that action.yml's descriptions state for inputs that only apply with another", () => {
    const { inputs } = asRunnerPasses({ ...valid, 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': 'https://rgw.example.com' });
    expect(describedDefault('role-duration-seconds')).toBe('3600');
    expect(inputs.s3Role?.durationSeconds).toBe(Number(describedDefault('role-duration-seconds')));
    expect(describedDefault('s3-endpoint')).toBe('sts-endpoint');
    expect(inputs.s3Role?.s3Endpoint).toBe(inputs.s3Role?.stsEndpoint);
    expect(inputs.s3Role?.roleSessionName).toBeUndefined();
    const oidc = asRunnerPasses({ ...valid, 'client-auth': 'github-oidc' }).inputs;
    expect(action.inputs['oidc-audience']?.description).toContain("Default: the realm's issuer URL, {keycloak-url}/realms/{realm}");
    expect(oidc.client.oidcAudience).toBe('https://sso.example.com/realms/test');
  });

  // Every input with a non-empty action.yml default must be valid in every mode (inputs.ts).
  it.each<[string, Record<string, string>]>([
    ['refresh', {}],
    ['check', { mode: 'check' }],
    ['check, confidential client', { mode: 'check', 'client-secret': 's' }],
    ['fallback password', { fallback: 'password', username: 'ci-bot', password: 'pw', 'refresh-token': '' }],
    ['fallback client-credentials', { fallback: 'client-credentials', 'client-secret': 's', 'refresh-token': '' }],
    ['client-auth github-oidc', { 'client-auth': 'github-oidc', 'refresh-token': '' }],
    ['role-to-assume and sts-endpoint', { 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': 'https://rgw.example.com' }],
    ['token-file', { 'token-file': 'true' }],
    ['export-env', { 'export-env': 'true' }],
    ['update-secret and update-secret-token', { 'update-secret': 'KC_REFRESH', 'update-secret-token': 'ghp' }],
    ['revoke-on-post false', { 'revoke-on-post': 'false' }],
  ])('parses %s with the required inputs and every action.yml default', (_, inputs) => {
    expect(() => asRunnerPasses({ ...valid, ...inputs })).not.toThrow();
  });

  it('reads every optional input', () => {
    const { inputs } = parse({
      'client-secret': 's3cr3t value',
      'client-auth': 'Basic',
      scope: 'openid profile',
      'timeout-seconds': '2.5',
      'export-env': 'true',
      'token-file': 'TRUE',
      retries: '0',
      'retry-after-send': 'true',
    });
    expect(inputs).toMatchObject({
      client: { clientSecret: 's3cr3t value', clientAuth: 'basic' },
      tokens: { scope: 'openid profile' },
      connection: { timeoutMs: 2500, retries: 0, retryAfterSend: true },
      publishing: { exportEnv: true, tokenFile: true },
    });
  });

  it.each([
    ['https://sso.example.com/', 'https://sso.example.com'],
    ['https://sso.example.com/auth', 'https://sso.example.com/auth'],
    ['https://sso.example.com/auth///', 'https://sso.example.com/auth'],
    ['  http://localhost:8080  ', 'http://localhost:8080'],
  ])('normalises keycloak-url %j to %j', (raw, expected) => {
    expect(parse({ 'keycloak-url': raw }).inputs.connection.keycloakUrl).toBe(expected);
  });

  it('reads check mode, resolving check-method auto by client type', () => {
    expect(parse({ mode: 'check', 'min-validity': '1d', 'warn-validity': '7d' }).inputs).toMatchObject({
      mode: 'check',
      check: { method: 'refresh', minValiditySeconds: 86_400, warnValiditySeconds: 604_800 },
    });
    expect(parse({ mode: 'check', 'client-secret': 's' }).inputs.check.method).toBe('introspect');
    expect(parse({ mode: 'check', 'client-secret': 's', 'check-method': 'refresh' }).inputs.check.method).toBe('refresh');
  });

  it('reads where to store a new refresh token', () => {
    expect(parse({ 'update-secret': 'KC_REFRESH', 'update-secret-token': 'ghp', 'secret-environment': 'prod' }).inputs.updateSecret).toEqual({
      name: 'KC_REFRESH',
      environment: 'prod',
      githubToken: 'ghp',
    });
  });

  it('reads the fallback, and lets it stand in for a missing refresh token', () => {
    const { inputs } = parse({ fallback: 'password', username: 'ci-bot', password: 'pw', 'refresh-token': '' });
    expect(inputs.tokens).toEqual({ fallback: 'password', username: 'ci-bot', password: 'pw', refreshToken: '', scope: undefined });
    expect(parse({ fallback: 'client-credentials', 'client-secret': 's', 'refresh-token': '' }).inputs.tokens.refreshToken).toBe('');
  });

  it('reads client-auth github-oidc: the realm issuer as audience, and no refresh token needed', () => {
    const { inputs } = parse({ 'client-auth': 'github-oidc', 'client-secret': '', 'refresh-token': '' });
    expect(inputs).toMatchObject({ client: { clientAuth: 'github-oidc', oidcAudience: 'https://sso.example.com/realms/test' }, tokens: { refreshToken: '' }, check: { method: 'introspect' } });
    expect(parse({ 'client-auth': 'github-oidc', 'client-secret': '', 'oidc-audience': 'https://sso/realms/x' }).inputs.client.oidcAudience).toBe('https://sso/realms/x');
    // A check needs the stored token: github-oidc does not stand in for it there.
    expect(() => parse({ 'client-auth': 'github-oidc', 'client-secret': '', 'refresh-token': '', mode: 'check' })).toThrow(/Input 'refresh-token' is empty/);
  });

  it('reads the role to assume at RGW, with its defaults', () => {
    const { inputs, warnings } = parse({ 'role-to-assume': 'arn:aws:iam:::role/S3Access', 'sts-endpoint': 'http://rgw.internal:7480/', 'allow-insecure-http': 'true' });
    expect(inputs.s3Role).toEqual({
      roleArn: 'arn:aws:iam:::role/S3Access',
      stsEndpoint: 'http://rgw.internal:7480',
      roleSessionName: undefined,
      durationSeconds: 3600,
      s3Endpoint: 'http://rgw.internal:7480',
    });
    expect(warnings).toEqual([expect.stringContaining('sts-endpoint uses plain http:// to rgw.internal')]);
    const custom = parse({ 'role-to-assume': 'arn:aws:iam::tenant:role/w', 'sts-endpoint': 'https://sts.x', 's3-endpoint': 'https://s3.x', 'role-session-name': 'ci@1', 'role-duration-seconds': '900' });
    expect(custom.inputs.s3Role).toMatchObject({ roleSessionName: 'ci@1', durationSeconds: 900, s3Endpoint: 'https://s3.x' });
  });

  it('trims surrounding whitespace of the token, as core.getInput does', () => {
    expect(parse({ 'refresh-token': '  abc.def  \n' }).inputs.tokens.refreshToken).toBe('abc.def');
  });

  it('refuses plain http to a host off the runner unless allow-insecure-http says so, and then warns', () => {
    expect(() => parse({ 'keycloak-url': 'http://sso.internal' })).toThrow(
      "Input 'keycloak-url' uses plain http:// to sso.internal: tokens and secrets would travel unencrypted. Use https://, or set allow-insecure-http: true",
    );
    expect(() => parse({ 'keycloak-url': 'http://10.0.0.5:8080' })).toThrow("Input 'keycloak-url' uses plain http:// to 10.0.0.5");
    expect(parse({ 'keycloak-url': 'http://sso.internal', 'allow-insecure-http': 'true' }).warnings).toEqual([
      'keycloak-url uses plain http:// to sso.internal: tokens and secrets travel unencrypted (allow-insecure-http: true). Use https://.',
    ]);
    // Loopback, and a single-label name such as a service container's, stay on the runner.
    for (const local of ['http://127.0.0.1:8080', 'http://localhost:8080', 'http://[::1]:8080', 'http://keycloak:8080']) {
      expect(parse({ 'keycloak-url': local }).warnings).toEqual([]);
    }
  });

  it.each([
    ['keycloak-url', { 'keycloak-url': '' }, 'is required'],
    ['keycloak-url', { 'keycloak-url': 'sso.example.com' }, 'is not a valid URL'],
    ['keycloak-url', { 'keycloak-url': 'ftp://sso.example.com' }, 'must use https://'],
    ['keycloak-url', { 'keycloak-url': 'https://user:pw@sso.example.com' }, 'must not contain credentials'],
    ['keycloak-url', { 'keycloak-url': 'https://sso.example.com/?x=1' }, 'must not have a query'],
    ['keycloak-url', { 'keycloak-url': 'https://sso.example.com/#top' }, 'fragment'],
    ['keycloak-url', { 'keycloak-url': 'https://sso.example.com/realms/test' }, 'without /realms/'],
    ['realm', { realm: '' }, 'is required'],
    ['realm', { realm: 'a/b' }, 'not a path'],
    ['realm', { realm: '..' }, 'not a path'],
    ['realm', { realm: 'te\nst' }, 'line break'],
    ['client-id', { 'client-id': '   ' }, 'is required'],
    ['client-secret', { 'client-secret': 'abc\ndef' }, 'line break'],
    ['client-auth', { 'client-auth': 'jwt' }, "must be one of: 'post', 'basic'"],
    ['mode', { mode: 'verify' }, "must be one of: 'refresh', 'check'"],
    ['check-method', { mode: 'check', 'check-method': 'userinfo' }, "must be one of: 'auto', 'introspect', 'refresh'"],
    ['check-method', { mode: 'check', 'check-method': 'introspect' }, 'only confidential clients introspect'],
    ['min-validity', { 'min-validity': '1h' }, 'only applies with mode: check'],
    ['min-validity', { mode: 'check', 'min-validity': 'a week' }, 'must be a duration'],
    ['warn-validity', { mode: 'check', 'min-validity': '7d', 'warn-validity': '1d' }, 'must be longer than min-validity'],
    ['update-secret', { 'update-secret': 'MY-SECRET', 'update-secret-token': 't' }, 'must be a secret name'],
    ['update-secret', { 'update-secret': 'GITHUB_TOKEN', 'update-secret-token': 't' }, 'not starting with a digit or GITHUB_'],
    ['update-secret-token', { 'update-secret': 'KC_REFRESH' }, 'is required with update-secret'],
    ['update-secret-token', { 'update-secret-token': 't' }, 'is only used with update-secret'],
    ['secret-environment', { 'secret-environment': 'prod' }, 'is only used with update-secret'],
    ['update-secret', { mode: 'check', 'client-secret': 's', 'update-secret': 'KC', 'update-secret-token': 't' }, 'nothing to store'],
    ['fallback', { fallback: 'browser' }, "must be one of: 'none', 'password', 'client-credentials'"],
    ['username', { fallback: 'password', password: 'pw' }, 'is required with fallback: password'],
    ['password', { fallback: 'password', username: 'ci-bot' }, 'is required with fallback: password'],
    ['password', { password: 'pw' }, 'is only used with fallback: password'],
    ['fallback', { fallback: 'client-credentials' }, 'client-secret is empty'],
    ['fallback', { mode: 'check', fallback: 'password', username: 'u', password: 'p' }, 'only applies with mode: refresh'],
    ['client-auth', { 'client-auth': 'basic' }, 'needs the client secret'],
    ['refresh-token', { 'refresh-token': '' }, 'is empty'],
    ['refresh-token', { 'refresh-token': ' \n\t ' }, 'is empty'],
    ['refresh-token', { 'refresh-token': 'abc\ndef' }, 'whitespace or a line break'],
    ['refresh-token', { 'refresh-token': 'abc def' }, 'whitespace or a line break'],
    ['scope', { scope: 'openid\nemail' }, 'line break'],
    ['timeout-seconds', { 'timeout-seconds': 'ten' }, 'must be a number'],
    ['timeout-seconds', { 'timeout-seconds': '0' }, 'from 1 to 600'],
    ['timeout-seconds', { 'timeout-seconds': '0.5' }, 'from 1 to 600'],
    ['timeout-seconds', { 'timeout-seconds': '-5' }, 'must be a number'],
    ['timeout-seconds', { 'timeout-seconds': '601' }, 'from 1 to 600'],
    ['export-env', { 'export-env': 'yes' }, "must be 'true' or 'false'"],
    ['retries', { retries: '-1' }, 'whole number from 0 to 10'],
    ['retries', { retries: '11' }, 'whole number from 0 to 10'],
    ['retries', { retries: '1.5' }, 'whole number from 0 to 10'],
    ['retry-after-send', { 'retry-after-send': 'maybe' }, "must be 'true' or 'false'"],
    ['token-file', { 'token-file': '1' }, "must be 'true' or 'false'"],
    ['revoke-on-post', { 'revoke-on-post': 'off' }, "must be 'true' or 'false'"],
  ])('rejects a bad %s (%j)', (input, overrides, problem) => {
    let error: unknown;
    try {
      parse(overrides);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    const { message } = error as InputError;
    expect((error as InputError).input).toBe(input);
    expect(message).toMatch(new RegExp(`^Input '${input}' `));
    expect(message).toContain(problem);
    expect(message).not.toContain('\n');
  });

  it('never repeats a secret value in its message', () => {
    expect(() => parse({ 'refresh-token': 'secret-part other-part' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('secret-part') }),
    );
    expect(() => parse({ 'client-secret': 'hush\nhush', 'client-auth': 'basic' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hush') }),
    );
  });
});
