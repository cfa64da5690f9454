// The action against a real Keycloak: each way a refresh fails gets its own
// message and exit code 1, and nothing leaks. Runs under Node 24, GitHub's runtime.
import { describe, expect, it } from 'vitest';
import { sharedKeycloakApi } from './support/shared-servers.js';
import { CONFIDENTIAL, expectFailure, loginAndAge, runScenario, user } from './support/scenario.js';

const api = sharedKeycloakApi();

describe('a dead refresh token', () => {
  it('session ended: the user was signed out by an admin', async () => {
    const login = user('carol');
    const tokens = await api.login(login);
    await api.logoutUser('test', 'carol');
    const run = await runScenario(api, login, tokens, {});
    expectFailure(run, 'session-ended', /400 invalid_grant: "Session not active"\): the session behind the refresh token has ended/);
  });

  it('revoked: a not-before policy was pushed for the client', async () => {
    const login = user('dave', 'test', 'revocable');
    const tokens = await api.login(login);
    await api.pushClientNotBefore('test', 'revocable');
    const run = await runScenario(api, login, tokens, {});
    expectFailure(run, 'refresh-token-reused', /400 invalid_grant: "Stale token"\): the token was revoked: an admin pushed a not-before revocation for the realm or client/);
  });

  it('user disabled', async () => {
    const login = user('bob');
    const tokens = await api.login(login);
    await api.setUserEnabled('test', 'bob', false);
    try {
      const run = await runScenario(api, login, tokens, {});
      expectFailure(run, 'user-disabled', /400 invalid_grant: "User disabled"\): the user the token belongs to is disabled/);
    } finally {
      await api.setUserEnabled('test', 'bob', true);
    }
  });

  const expiredLogin = user('alice', 'test', 'ceph-s3-short');
  const expired = loginAndAge(api, expiredLogin);
  it('expired: past the client session idle timeout', async () => {
    const tokens = await expired;
    expect(tokens.refresh_expires_in).toBeLessThanOrEqual(4); // 3 or 4, by where in the second it was issued
    const run = await runScenario(api, expiredLogin, tokens, {});
    expectFailure(run, 'refresh-token-expired', /400 invalid_grant: "Token is not active"\): the refresh token has expired/);
  });

  it('not a refresh token at all', async () => {
    const run = await runScenario(api, user('alice'), { refresh_token: 'not-a-refresh-token' }, {});
    expectFailure(run, 'refresh-token-invalid', /400 invalid_grant: "Invalid refresh token"\): the value is not a refresh token of realm 'test'/);
  });

  it('a token of another client', async () => {
    const tokens = await api.login(user('alice', 'test', 'other-client'));
    const run = await runScenario(api, user('alice'), tokens, {});
    expectFailure(run, 'refresh-token-wrong-client', /Token client and authorized client don't match"\): the refresh token was issued to another client/);
  });

  it('refreshed at another URL than it was issued at', async () => {
    const tokens = await api.login(user('alice'));
    const otherHost = api.baseUrl.replace('//localhost:', '//127.0.0.1:');
    const run = await runScenario(api, user('alice'), tokens, { 'keycloak-url': otherHost });
    expectFailure(run, 'refresh-token-wrong-issuer', /Invalid token issuer.*the token was issued by http:\/\/localhost:\d+\/realms\/test, but this refresh went to http:\/\/127\.0\.0\.1/);
  });
});

describe('a wrong setting', () => {
  it('wrong client secret', async () => {
    const login = { ...user('alice'), ...CONFIDENTIAL };
    const tokens = await api.login(login);
    const run = await runScenario(api, login, tokens, { 'client-secret': 'wrong-secret-value' });
    expectFailure(run, 'client-secret-rejected', /401 unauthorized_client: .*\): the client secret for client 'ci-confidential' is wrong/);
  });

  it('unknown client', async () => {
    const tokens = await api.login(user('alice'));
    const run = await runScenario(api, user('alice'), tokens, { 'client-id': 'no-such-client' });
    expectFailure(run, 'client-unknown', /401 invalid_client.*realm 'test' has no enabled client 'no-such-client'/);
  });

  it('unknown realm', async () => {
    const tokens = await api.login(user('alice'));
    const run = await runScenario(api, user('alice'), tokens, { realm: 'no-such-realm' });
    expectFailure(run, 'realm-unknown', /404 Realm does not exist\): realm 'no-such-realm' does not exist/);
  });

  it('wrong path prefix (/auth on a modern server)', async () => {
    const tokens = await api.login(user('alice'));
    const run = await runScenario(api, user('alice'), tokens, { 'keycloak-url': `${api.baseUrl}/auth` });
    // Keycloak's own 404 for an unknown path: {"error":"Unable to find matching target resource method"}.
    expectFailure(run, 'endpoint-not-found', /\(404 Unable to find matching target resource method\): no token endpoint at .*\/auth\/realms\/test\/.*try keycloak-url without '\/auth'/);
  });
});
