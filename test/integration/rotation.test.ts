// Refresh-token rotation ("Revoke Refresh Token", max reuse 0) on a real server.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import { NODE_24 } from '../support/run-action.js';
import { KeycloakApi } from './support/keycloak-api.js';
import { ADMIN } from './support/keycloak-container.js';
import { expectFailure, runScenario, user } from './support/scenario.js';

let api: KeycloakApi;
beforeAll(() => {
  api = new KeycloakApi(inject('keycloakUrl'), ADMIN);
});
const node = NODE_24;

describe('with rotation on', () => {
  it('outputs the new token, warns, and the old token is then refused', async () => {
    const login = user('alice', 'rotation');
    const tokens = await api.login(login);

    const first = await runScenario(api, login, tokens, {}, { node });
    expect(first.exitCode, visibleLog(first)).toBe(0);
    expect(first.outputs['refresh-token-rotated']).toBe('true');
    expect(first.outputs['refresh-token']).not.toBe(tokens.refresh_token);
    expect(visibleLog(first)).toContain('::warning::Keycloak issued a new refresh token');

    const replay = await runScenario(api, login, tokens, {}, { node });
    expectFailure(replay, /400 invalid_grant: "Maximum allowed refresh token reuse exceeded"\): this refresh token was already used/);

    // Keycloak then detaches the client session: the replay burned the newest token too.
    const newest = await runScenario(api, login, { refresh_token: first.outputs['refresh-token'] ?? '' }, {}, { node });
    expectFailure(newest, /400 invalid_grant: "Session doesn't have required client"\): the session behind the refresh token has ended/);
  });

  it('the newest token keeps working when each run stores the last output', async () => {
    const login = user('alice', 'rotation');
    let current = (await api.login(login)).refresh_token;
    for (let i = 0; i < 3; i++) {
      const run = await runScenario(api, login, { refresh_token: current }, {}, { node });
      expect(run.exitCode, visibleLog(run)).toBe(0);
      current = run.outputs['refresh-token'] ?? '';
    }
  });
});

describe('with rotation off', () => {
  it('Keycloak still returns a new refresh token, and the old one keeps working', async () => {
    const login = user('alice');
    const tokens = await api.login(login);
    const first = await runScenario(api, login, tokens, {}, { node });
    expect(first.outputs['refresh-token-rotated']).toBe('true');
    const again = await runScenario(api, login, tokens, {}, { node });
    expect(again.exitCode, visibleLog(again)).toBe(0);
  });
});
