// The re-login fallback against a real Keycloak: only a dead refresh token
// leads to a login, and the login's tokens are real.
import { describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import { sharedKeycloakApi } from './support/shared-servers.js';
import { CONFIDENTIAL, expectFailure, loginAndAge, runScenario, user } from './support/scenario.js';

const api = sharedKeycloakApi();
const passwordFallback = (name: string) => ({ fallback: 'password', username: name, password: `${name}-password-1` });

describe('fallback: password', () => {
  const shortLogin = user('alice', 'test', 'ceph-s3-short');
  const [expired, expiredToo] = [loginAndAge(api, shortLogin), loginAndAge(api, shortLogin)];

  it('logs in again after the refresh token expired', async () => {
    const tokens = await expired;
    const run = await runScenario(api, shortLogin, tokens, passwordFallback('alice'));

    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs).toMatchObject({ grant: 'password', 'refresh-token-rotated': 'false' });
    expect(visibleLog(run)).toMatch(/::warning::The stored refresh token is dead: Keycloak refused the refresh \(400 invalid_grant: "Token is not active"\).*Logging in with fallback: password instead/);
    expect(run.summary).toContain('password (fallback: the stored refresh token was not used)');
    // The login asked for the dead token's scope (openid here), so userinfo accepts the new token.
    expect(run.outputs['scope']).toContain('openid');
    expect(await api.userinfoStatus('test', run.outputs['access-token'] ?? '')).toEqual({ status: 200, username: 'alice' });
  });

  it('logs in again after an admin signed the user out', async () => {
    const login = user('frank');
    const tokens = await api.login(login);
    await api.logoutUser('test', 'frank');
    const run = await runScenario(api, login, tokens, passwordFallback('frank'));
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs['grant']).toBe('password');
    // The new refresh token is a working one.
    const next = await runScenario(api, login, { refresh_token: run.outputs['refresh-token'] ?? '' }, {});
    expect(next.exitCode, visibleLog(next)).toBe(0);
  });

  it('logs in directly when no refresh token is stored yet', async () => {
    const run = await runScenario(api, user('alice'), { refresh_token: '' }, passwordFallback('alice'));
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs['grant']).toBe('password');
    // A deliberate direct login needs no action: no warning.
    expect(visibleLog(run)).not.toContain('::warning::');
  });

  it('does not log in around a wrong client secret', async () => {
    const login = { ...user('alice'), ...CONFIDENTIAL };
    const tokens = await api.login(login);
    const run = await runScenario(api, login, tokens, { ...passwordFallback('alice'), 'client-secret': 'wrong-secret-value' });
    expectFailure(run, 'client-secret-rejected', /401 unauthorized_client: .*\): the client secret for client 'ci-confidential' is wrong/);
    expect(visibleLog(run)).not.toContain('Logging in with fallback');
  });

  it('explains a wrong password', async () => {
    const tokens = await expiredToo;
    const run = await runScenario(api, shortLogin, tokens, { ...passwordFallback('alice'), password: 'not-the-password' });
    expectFailure(run, 'login-rejected', /Keycloak refused the password login \(fallback: password\) \(400 invalid_grant: "Invalid user credentials"\): the username or password is wrong/);
  });
});

describe('fallback: client-credentials', () => {
  it('gets a service-account token when the refresh token is dead', async () => {
    const login = { ...user('alice'), ...CONFIDENTIAL };
    const tokens = await api.login(login);
    const run = await runScenario(
      api,
      { ...login, clientId: 'ci-service' },
      { refresh_token: tokens.refresh_token },
      { fallback: 'client-credentials' },
    );
    // The token was issued to ci-confidential, so for ci-service it is not dead but foreign: no login.
    expectFailure(run, 'refresh-token-wrong-client', /Token client and authorized client don't match/);

    const garbage = await runScenario(api, { ...login, clientId: 'ci-service' }, { refresh_token: 'not-a-refresh-token' }, { fallback: 'client-credentials', scope: 'openid' });
    expect(garbage.exitCode, visibleLog(garbage)).toBe(0);
    expect(garbage.outputs).toMatchObject({ grant: 'client_credentials' });
    expect((await api.userinfoStatus('test', garbage.outputs['access-token'] ?? '')).username).toBe('service-account-ci-service');
  });
});
