// mode: check against a real Keycloak: introspection of live, expired and
// rotated-away tokens, thresholds on both sides of the remaining time, offline
// tokens, and the check by refresh for public clients.
import { describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import { sharedKeycloakApi } from './support/shared-servers.js';
import { CONFIDENTIAL, expectFailure, loginAndAge, runScenario, user } from './support/scenario.js';

const api = sharedKeycloakApi();
const confidential = (realm = 'test', clientId = CONFIDENTIAL.clientId) => ({ ...user('alice', realm), ...CONFIDENTIAL, clientId });

describe('check by introspection (confidential client)', () => {
  it('a live refresh token: active, kind, expiry, and the token still works afterwards', async () => {
    const login = confidential();
    const tokens = await api.login(login);
    const run = await runScenario(api, login, tokens, { mode: 'check', 'min-validity': '10m', 'warn-validity': '20m' });

    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs).toMatchObject({ valid: 'true', active: 'true', 'token-kind': 'Refresh' });
    expect(Number(run.outputs['refresh-remaining-seconds'])).toBeGreaterThan(1700);
    expect(run.outputs['access-token']).toBeUndefined();
    expect(visibleLog(run)).toMatch(/The stored Refresh token is active and expires in 29m \d+s/);
    expect(run.summary).toContain('token introspection (the token is not used)');
    // Introspection did not use the token: it still refreshes.
    const refresh = await runScenario(api, login, tokens, {});
    expect(refresh.exitCode, visibleLog(refresh)).toBe(0);
  });

  it('fails below min-validity and warns below warn-validity', async () => {
    const login = confidential();
    const tokens = await api.login(login);
    const failing = await runScenario(api, login, tokens, { mode: 'check', 'min-validity': '1h' });
    expectFailure(failing, 'refresh-token-expiring', /The stored Refresh token expires in 29m \d+s .*less than min-validity \(1h\)/, { valid: 'false', active: 'true' });
    const warning = await runScenario(api, login, tokens, { mode: 'check', 'min-validity': '5m', 'warn-validity': '1h' });
    expect(warning.exitCode, visibleLog(warning)).toBe(0);
    expect(visibleLog(warning)).toMatch(/::warning::The stored Refresh token expires in 29m .*less than warn-validity \(1h\)/);
  });

  const expiredLogin = confidential('test', 'ci-confidential-short');
  const expired = loginAndAge(api, expiredLogin);
  it('an expired token: not active', async () => {
    const tokens = await expired;
    const run = await runScenario(api, expiredLogin, tokens, { mode: 'check' });
    expectFailure(run, 'refresh-token-inactive', /The stored refresh token is dead\. Keycloak's introspection says it is not active/, { valid: 'false', active: 'false' });
  });

  it('a rotated-away token: not active once a newer one was issued', async () => {
    const login = confidential('rotation');
    const tokens = await api.login(login);
    const refresh = await runScenario(api, login, tokens, {});
    expect(refresh.exitCode, visibleLog(refresh)).toBe(0);
    const stale = await runScenario(api, login, tokens, { mode: 'check' });
    expectFailure(stale, 'refresh-token-inactive', /The stored refresh token is dead/, { valid: 'false', active: 'false' });
    const newest = await runScenario(api, login, { refresh_token: refresh.outputs['refresh-token'] ?? '' }, { mode: 'check' });
    expect(newest.outputs['active']).toBe('true');
  });

  it('an offline token: no expiry in the token, and the server-side idle limit is named', async () => {
    const login = confidential();
    const tokens = await api.login({ ...login, scope: 'openid offline_access' });
    const run = await runScenario(api, login, tokens, { mode: 'check', 'min-validity': '7d' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs).toMatchObject({ valid: 'true', active: 'true', 'token-kind': 'Offline', 'refresh-expires-at': '', 'refresh-remaining-seconds': '' });
    expect(visibleLog(run)).toContain("offline session idle timeout (30 days by default) still applies; introspection does not reset it");
  });

  it('a wrong client secret fails as such, not as a dead token', async () => {
    const login = confidential();
    const tokens = await api.login(login);
    const run = await runScenario(api, login, tokens, { mode: 'check', 'client-secret': 'wrong-secret-value' });
    expectFailure(run, 'client-secret-rejected', /401 invalid_client: "Client authentication failed\."\): the client secret for client 'ci-confidential' is wrong/);
  });
});

describe('check by refresh (public client, or check-method: refresh)', () => {
  it('proves the token by using it and publishes the new tokens', async () => {
    const login = user('alice');
    const tokens = await api.login({ ...login, scope: 'openid offline_access' });
    const run = await runScenario(api, login, tokens, { mode: 'check' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs).toMatchObject({ valid: 'true', active: 'true', 'token-kind': 'Offline', 'refresh-token-rotated': 'true' });
    expect((await api.userinfoStatus('test', run.outputs['access-token'] ?? '')).status).toBe(200);
    expect(visibleLog(run)).toContain('this refresh has just reset it');
  });

  it('a logged-out session: dead, with Keycloak\'s reason', async () => {
    const login = user('erin');
    const tokens = await api.login(login);
    await api.logoutUser('test', 'erin');
    const run = await runScenario(api, login, tokens, { mode: 'check' });
    expectFailure(run, 'session-ended', /The stored refresh token is dead\. Keycloak refused the refresh \(400 invalid_grant: "Session not active"\)/, { valid: 'false', active: 'false' });
  });
});
