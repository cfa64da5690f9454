// The action against a real Keycloak: every way a refresh succeeds.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import { sharedKeycloakApi } from './support/shared-servers.js';
import { CONFIDENTIAL, runScenario, user } from './support/scenario.js';

const api = sharedKeycloakApi();

describe('refresh', () => {
  it('refreshes for a public client and Keycloak accepts the new access token', async () => {
    const login = user('alice');
    const tokens = await api.login(login);
    const run = await runScenario(api, login, tokens, {});

    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs['token-type']).toBe('Bearer');
    expect(run.outputs['scope']).toContain('openid');
    const idToken = JSON.parse(Buffer.from((run.outputs['id-token'] ?? '').split('.')[1] ?? '', 'base64url').toString('utf8'));
    expect(idToken).toMatchObject({ typ: 'ID', azp: 'ceph-s3', preferred_username: 'alice', sid: tokens.session_state });
    expect(run.outputs['session-state']).toBe(tokens.session_state);
    // Keycloak answers the token's exp minus its clock at answer time: 300, or 299 when
    // a second ticked between signing and answering (seen on a loaded machine).
    expect(Number(run.outputs['expires-in'])).toBeGreaterThanOrEqual(299);
    expect(Number(run.outputs['expires-in'])).toBeLessThanOrEqual(300);
    expect(Number(run.outputs['refresh-expires-in'])).toBeGreaterThan(1700);
    expect(Date.parse(run.outputs['refresh-expires-at'] ?? '')).toBeGreaterThan(Date.now() + 1_700_000);
    expect(await api.userinfoStatus('test', run.outputs['access-token'] ?? '')).toEqual({ status: 200, username: 'alice' });
  });

  it.each(['post', 'basic'])('refreshes for a confidential client with client-auth %s', async (clientAuth) => {
    const login = { ...user('alice'), ...CONFIDENTIAL };
    const tokens = await api.login(login);
    const run = await runScenario(api, login, tokens, { 'client-auth': clientAuth });

    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect((await api.userinfoStatus('test', run.outputs['access-token'] ?? '')).status).toBe(200);
  });

  it('refreshes an offline token, whose refresh expiry is unknown rather than 0', async () => {
    const login = user('alice');
    const tokens = await api.login({ ...login, scope: 'openid offline_access' });
    expect(tokens.refresh_expires_in).toBe(0);
    const run = await runScenario(api, login, tokens, {});

    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs['refresh-expires-in']).toBe('');
    expect(run.outputs['refresh-expires-at']).toBe('');
    expect(run.outputs['scope']).toContain('offline_access');
    expect(run.summary).toContain('Offline');
    expect(run.summary).toContain('server-side idle limits still apply');
    expect((await api.userinfoStatus('test', run.outputs['access-token'] ?? '')).status).toBe(200);
  });

  it('narrows the scope when asked', async () => {
    // Only optional client scopes can be dropped; default ones (profile, email) always stay.
    const login = user('alice');
    const tokens = await api.login({ ...login, scope: 'openid address phone' });
    expect(tokens.scope.split(' ')).toContain('phone');
    const run = await runScenario(api, login, tokens, { scope: 'openid address' });

    expect(run.exitCode, visibleLog(run)).toBe(0);
    const scopes = (run.outputs['scope'] ?? '').split(' ');
    expect(scopes).toContain('address');
    expect(scopes).not.toContain('phone');
  });

  it('exports env vars and a token file that hold the real access token', async () => {
    const login = user('alice');
    const tokens = await api.login(login);
    let fromFile = '';
    const run = await runScenario(api, login, tokens, { 'export-env': 'true', 'token-file': 'true' }, {
      allowEnvSecrets: true,
      betweenSteps: async (main) => {
        fromFile = readFileSync(main.outputs['access-token-file'] ?? '', 'utf8');
      },
    });

    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.env['KEYCLOAK_ACCESS_TOKEN']).toBe(run.outputs['access-token']);
    expect(run.env['KEYCLOAK_REFRESH_TOKEN']).toBe(run.outputs['refresh-token']);
    expect(run.env['KEYCLOAK_ID_TOKEN']).toBe(run.outputs['id-token']);
    expect(fromFile).toBe(run.outputs['access-token']);
    expect((await api.userinfoStatus('test', fromFile)).status).toBe(200);
    // existsSync('') is false: the output must name a file under RUNNER_TEMP before its absence proves anything.
    const tokenFile = run.outputs['access-token-file'] ?? '';
    expect(tokenFile.startsWith(`${run.runnerTemp}/`)).toBe(true);
    expect(existsSync(tokenFile)).toBe(false);
  });
});
