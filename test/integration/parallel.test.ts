// Parallel jobs that share one rotating refresh token (Revoke Refresh Token on): N runs
// of the action started at once, as a matrix would, on realms of this file's own, on
// 26.7.3 (the shared server) and 26.4.7.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';
import type { KeycloakApi, Login } from './support/keycloak-api.js';
import { TEST_PASSWORD_POLICY, userRepresentation } from './support/keycloak-api.js';
import { COMPAT_VERSION, startKeycloak } from './support/keycloak-container.js';
import type { RunningKeycloak } from './support/keycloak-container.js';
import type { ScenarioRun } from './support/scenario.js';
import { errorLine, expectFailure, runScenario, user } from './support/scenario.js';
import { sharedKeycloakApi } from './support/shared-servers.js';

const N = 10;

function rotatingRealm(realm: string, maxReuse: number): Record<string, unknown> {
  return {
    realm,
    enabled: true,
    passwordPolicy: TEST_PASSWORD_POLICY,
    revokeRefreshToken: true,
    refreshTokenMaxReuse: maxReuse,
    clients: [{ clientId: 'ceph-s3', enabled: true, publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false }],
    users: [userRepresentation('alice')],
  };
}

/** Realms with rotation on: max reuse 0, N − 1 (all N runs may use the token) and N (N runs and one that stores). */
const REALMS = { noReuse: 'parallel-reuse-0', matrix: `parallel-reuse-${N - 1}`, matrixAndStore: `parallel-reuse-${N}` };

async function createRealms(api: KeycloakApi): Promise<void> {
  await api.createRealm(rotatingRealm(REALMS.noReuse, 0));
  await api.createRealm(rotatingRealm(REALMS.matrix, N - 1));
  await api.createRealm(rotatingRealm(REALMS.matrixAndStore, N));
}

async function deleteRealms(api: KeycloakApi): Promise<void> {
  await Promise.all(Object.values(REALMS).map((realm) => api.deleteRealm(realm)));
}

/** An offline token, as a user would store it. */
const offline = (realm: string): Login => ({ ...user('alice', realm), scope: 'openid offline_access' });

/** N runs of the action with the same stored token, started at once. */
function inParallel(api: KeycloakApi, login: Login, refreshToken: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ScenarioRun[]> {
  return Promise.all(Array.from({ length: N }, () => runScenario(api, login, { refresh_token: refreshToken }, inputs, { env })));
}

const succeeded = (runs: ScenarioRun[]) => runs.filter((run) => run.exitCode === 0);
const failed = (runs: ScenarioRun[]) => runs.filter((run) => run.exitCode !== 0);

/** Keycloak's answers to the losers, counted, for the test log. */
function answers(runs: ScenarioRun[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const run of failed(runs)) {
    const answer = /\((\d{3} [a-z_]+: "[^"]*")\)/.exec(errorLine(run))?.[1] ?? 'no Keycloak answer';
    counts[answer] = (counts[answer] ?? 0) + 1;
  }
  return counts;
}

/** Every loser: refresh-token-reused, the likely cause and the three ways out, shortest first. */
const PARALLEL_LOSER =
  /Keycloak refused the refresh \(400 invalid_grant: "(Maximum allowed refresh token reuse exceeded|Session doesn't have required client)"\): .*Likely cause: parallel jobs \(a matrix, or workflows that run at once\) shared one rotating token and another job refreshed it first.*Ways out, shortest first: set the realm's Refresh Token Max Reuse to at least the number of parallel jobs minus 1 .*run the jobs one after another \(strategy\.max-parallel: 1, or a concurrency: group for workflows\); or use client-auth: github-oidc, which shares no token\. Every token of the chain is dead now/;

/** How many of N parallel refreshes of one token a version lets through with max reuse 0. */
interface Winners {
  min: number;
  max: number;
}

// The same for both servers: what N parallel runs of one rotating token do.
function parallelRefreshes(server: () => KeycloakApi, version: string, winners: Winners): void {
  it(`max reuse 0: ${winners.min === winners.max ? winners.min : `${winners.min} to ${winners.max}`} of ${N} win; the losers fail as refresh-token-reused with the cause and the ways out, and every winner's new token dies too (${version})`, async () => {
    const api = server();
    const login = offline(REALMS.noReuse);
    const { refresh_token: stored } = await api.login(login);
    const runs = await inParallel(api, login, stored, { 'revoke-refresh-token': 'true' });
    const [won, lost] = [succeeded(runs), failed(runs)];
    console.info(`Keycloak ${version}, max reuse 0, ${N} parallel runs: ${won.length} succeeded; the others got ${JSON.stringify(answers(runs))}`);
    expect(won.length, JSON.stringify(answers(runs))).toBeGreaterThanOrEqual(winners.min);
    expect(won.length, JSON.stringify(answers(runs))).toBeLessThanOrEqual(winners.max);
    // At least one loser, so the loop below checks something.
    expect(lost.length).toBeGreaterThanOrEqual(N - winners.max);
    expect(lost.length).toBeGreaterThan(0);
    for (const run of lost) expectFailure(run, 'refresh-token-reused', PARALLEL_LOSER);
    // The losers' replays revoked the chain: the new token every winner got (and would store) is refused.
    for (const winner of won) {
      const next = await runScenario(api, login, { refresh_token: winner.outputs['refresh-token'] ?? '' }, { 'revoke-refresh-token': 'true' });
      expectFailure(next, 'refresh-token-reused', /"Session doesn't have required client"\): the rotation chain of this refresh token was revoked/);
    }
  });

  it(`max reuse N − 1: all N parallel runs succeed (${version})`, async () => {
    const api = server();
    const login = offline(REALMS.matrix);
    const { refresh_token: stored } = await api.login(login);
    const runs = await inParallel(api, login, stored, { 'revoke-refresh-token': 'true' });
    for (const run of runs) expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(new Set(runs.map((run) => run.outputs['refresh-token'])).size).toBe(N);
  });
}

describe(`${N} parallel runs of one rotating refresh token, Keycloak 26.7.3`, () => {
  const api = sharedKeycloakApi();
  beforeAll(() => createRealms(api));
  afterAll(() => deleteRealms(api));

  parallelRefreshes(() => api, '26.7.3', { min: 1, max: 1 });

  describe('update-secret, against a fake GitHub API', () => {
    let github: FakeGitHubApi;
    beforeAll(async () => {
      github = await startFakeGitHubApi();
    });
    afterAll(() => github.close());
    const SECRET = '/repos/acme/pipelines/actions/secrets/KEYCLOAK_REFRESH_TOKEN';
    const storing = { 'revoke-refresh-token': 'true', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'ghp_fake_token_for_tests' };
    const runnerEnv = () => ({ GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'acme/pipelines' });

    it('max reuse 0: when every parallel run stores its new token, the secret ends up dead (why docs/rotation-and-parallel-jobs.md says not to)', async () => {
      const login = offline(REALMS.noReuse);
      const { refresh_token: stored } = await api.login(login);
      github.stored.delete(SECRET);
      const runs = await inParallel(api, login, stored, storing, runnerEnv());
      expect(succeeded(runs)).toHaveLength(1);
      // Only the winner got a token to store; the losers failed before update-secret.
      expect(github.stored.get(SECRET)).toBe(succeeded(runs)[0]?.outputs['refresh-token']);
      const next = await runScenario(api, login, { refresh_token: github.stored.get(SECRET) ?? '' }, storing, { env: runnerEnv() });
      expectFailure(next, 'refresh-token-reused', /"Session doesn't have required client"\)/);
    });

    it('max reuse N: N parallel runs that only read the token, then one run that stores a new one, leave a secret that the next N runs use', async () => {
      const login = offline(REALMS.matrixAndStore);
      let stored = (await api.login(login)).refresh_token;
      github.stored.delete(SECRET);
      for (let workflowRun = 1; workflowRun <= 2; workflowRun++) {
        // As docs/rotation-and-parallel-jobs.md's workflow: the matrix jobs leave rotation off, so none warns.
        const matrix = await inParallel(api, login, stored, {});
        for (const run of matrix) {
          expect(run.exitCode, visibleLog(run)).toBe(0);
          expect(visibleLog(run)).not.toContain('::warning::');
        }
        // The storing job runs after the matrix (needs:), so its refresh is the newest of the chain.
        const store = await runScenario(api, login, { refresh_token: stored }, storing, { env: runnerEnv() });
        expect(store.exitCode, visibleLog(store)).toBe(0);
        expect(visibleLog(store)).toContain('Stored the new refresh token in secret KEYCLOAK_REFRESH_TOKEN.');
        stored = github.stored.get(SECRET) ?? '';
        expect(stored).toBe(store.outputs['refresh-token']);
      }
      // Keycloak accepts the stored secret.
      const last = await runScenario(api, login, { refresh_token: stored }, { 'revoke-refresh-token': 'true' });
      expect(last.exitCode, visibleLog(last)).toBe(0);
      expect((await api.userinfoStatus(REALMS.matrixAndStore, last.outputs['access-token'] ?? '')).status).toBe(200);
    });
  });
});

describe(`${N} parallel runs of one rotating refresh token, Keycloak ${COMPAT_VERSION}`, () => {
  let keycloak: RunningKeycloak;
  beforeAll(async () => {
    keycloak = await startKeycloak({ version: COMPAT_VERSION });
    await createRealms(keycloak.api);
  });
  afterAll(() => keycloak?.stop());

  // 26.4.7 lets a few requests through when they arrive in the same instant (3, 1 and 2 of 10
  // in measured runs); never all of them, and the losers still all get one of the two answers.
  parallelRefreshes(() => keycloak.api, COMPAT_VERSION, { min: 1, max: N - 1 });
});
