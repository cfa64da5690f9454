// Refresh-token rotation ("Revoke Refresh Token", max reuse 0) on a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import { sharedKeycloakApi } from './support/shared-servers.js';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';
import { expectFailure, runScenario, user } from './support/scenario.js';

const api = sharedKeycloakApi();

describe('with rotation on', () => {
  it('outputs the new token, warns with revoke-refresh-token: true, and the old token is then refused', async () => {
    const login = user('alice', 'rotation');
    const tokens = await api.login(login);

    const first = await runScenario(api, login, tokens, { 'revoke-refresh-token': 'true' });
    expect(first.exitCode, visibleLog(first)).toBe(0);
    expect(first.outputs['refresh-token-rotated']).toBe('true');
    expect(first.outputs['refresh-token']).not.toBe(tokens.refresh_token);
    expect(visibleLog(first)).toContain('::warning::The realm revokes used refresh tokens (revoke-refresh-token: true), so the stored refresh-token secret is now used up');

    const replay = await runScenario(api, login, tokens, {});
    expectFailure(replay, 'refresh-token-reused', /400 invalid_grant: "Maximum allowed refresh token reuse exceeded"\): this refresh token was used before, and the realm revokes used refresh tokens/);
    expect(replay.outputs['failure-kind']).toBe('refresh-token-reused');

    // Keycloak then detaches the client session: the replay burned the newest token too. Without
    // revoke-refresh-token: true the action cannot tell that from a client session that timed out.
    const newest = await runScenario(api, login, { refresh_token: first.outputs['refresh-token'] ?? '' }, {});
    expectFailure(newest, 'session-ended', /400 invalid_grant: "Session doesn't have required client"\): the session behind the refresh token no longer holds this client: .*a used one was presented again \(then set revoke-refresh-token: true/);
  });

  it('the newest token keeps working when each run stores the last output', async () => {
    const login = user('alice', 'rotation');
    let current = (await api.login(login)).refresh_token;
    for (let i = 0; i < 3; i++) {
      const run = await runScenario(api, login, { refresh_token: current }, {});
      expect(run.exitCode, visibleLog(run)).toBe(0);
      current = run.outputs['refresh-token'] ?? '';
    }
  });
});

describe('with rotation off', () => {
  it('Keycloak still returns a new refresh token, and the old one keeps working', async () => {
    const login = user('alice');
    const tokens = await api.login(login);
    const first = await runScenario(api, login, tokens, {});
    expect(first.outputs['refresh-token-rotated']).toBe('true');
    // Nothing to act on: no warning annotation.
    expect(visibleLog(first)).not.toContain('::warning::');
    const again = await runScenario(api, login, tokens, {});
    expect(again.exitCode, visibleLog(again)).toBe(0);
  });
});

describe('update-secret: the stored secret follows the rotation', () => {
  let github: FakeGitHubApi;
  beforeAll(async () => {
    github = await startFakeGitHubApi();
  });
  afterAll(() => github.close());
  const SECRET = '/repos/acme/pipelines/actions/secrets/KEYCLOAK_REFRESH_TOKEN';
  const updating = { 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'ghp_fake_token_for_tests' };
  const runner = () => ({ env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/pipelines' } });

  it('stores each new token, so every next run starts from a working secret', async () => {
    const login = user('alice', 'rotation');
    let secret = (await api.login(login)).refresh_token;
    for (let run = 1; run <= 3; run++) {
      const result = await runScenario(api, login, { refresh_token: secret }, updating, runner());
      expect(result.exitCode, visibleLog(result)).toBe(0);
      expect(github.stored.get(SECRET)).toBe(result.outputs['refresh-token']);
      expect(visibleLog(result)).toContain('Stored the new refresh token in secret KEYCLOAK_REFRESH_TOKEN.');
      secret = github.stored.get(SECRET) ?? '';
    }
  });

  it('fails loudly when GitHub refuses, and the new token is still in the output', async () => {
    const login = user('alice', 'rotation');
    const tokens = await api.login(login);
    github.failWith(403);
    try {
      const run = await runScenario(api, login, tokens, updating, runner());
      expect(run.exitCode).toBe(1);
      expect(visibleLog(run)).toMatch(/::error::Could not store the new refresh token in secret KEYCLOAK_REFRESH_TOKEN \(acme\/pipelines\): update-secret-token may not write secrets \(403\)\..* exists only in this run's masked refresh-token output/);
      // Nothing was lost: the output holds the newest token, and it works.
      const next = await runScenario(api, login, { refresh_token: run.outputs['refresh-token'] ?? '' }, {});
      expect(next.exitCode, visibleLog(next)).toBe(0);
    } finally {
      github.failWith(undefined);
    }
  });
});
