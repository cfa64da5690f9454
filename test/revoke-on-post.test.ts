// revoke-on-post, run as the runner runs the action (main step, later steps,
// post step) against a fake Keycloak: what the post step revokes, what it
// never revokes, that it keeps nothing secret in the state or on disk, and
// that a refusing or frozen Keycloak costs one warning and at most its budget.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHubApi } from './support/fake-github-api.js';
import { startFakeGitHubApi } from './support/fake-github-api.js';
import type { FakeEndpoint } from './support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from './support/fake-token-endpoint.js';
import { runLaterStep } from './support/later-step.js';
import { expectNoLeaks, visibleLog } from './support/leak-check.js';
import type { ActionRun } from './support/run-action.js';
import { runAction } from './support/run-action.js';
import { startSilentPeer } from './support/silent-peer.js';

let keycloak: FakeEndpoint;
let github: FakeGitHubApi;
let issued = 0;
let lifetime = 300;
const stored = fakeJwt({ typ: 'Offline' }, 'Stored0Refresh');

beforeAll(async () => {
  keycloak = await startFakeEndpoint();
  github = await startFakeGitHubApi();
});
afterAll(async () => {
  await keycloak.close();
  await github.close();
});
beforeEach(() => {
  issued = 0;
  lifetime = 300;
  keycloak.requests.length = 0;
  keycloak.revocations.length = 0;
  keycloak.revocationsToo(false);
  keycloak.respondWith((request, res) => {
    const n = ++issued;
    const exchange = request.form.get('grant_type')?.includes('token-exchange');
    json(res, 200, {
      access_token: fakeJwt({ azp: 'ci', exp: Math.floor(Date.now() / 1000) + lifetime, n, exchange }, `Access${n}Q`),
      ...(exchange ? {} : { refresh_token: fakeJwt({ typ: 'Offline', n }, `Refresh${n}Q`) }),
      expires_in: lifetime,
      token_type: 'Bearer',
    });
  });
});

const inputs = (extra: Record<string, string> = {}) => ({ 'keycloak-url': keycloak.baseUrl, realm: 'test', 'client-id': 'ci', 'client-secret': 'client-secret-value', 'refresh-token': stored, ...extra });
const revoked = (hint: string) => keycloak.revocations.filter((r) => r.form.get('token_type_hint') === hint).map((r) => r.form.get('token'));
const issuedAccessTokens = (run: ActionRun) => [run.outputs['access-token'], run.outputs['exchanged-token']].filter((t): t is string => !!t);
const warnings = (run: ActionRun) => run.post.commands.filter((command) => command.name === 'warning').map((command) => command.data);
const leftUnder = (dir: string) => readdirSync(dir).filter((name) => name.startsWith('keycloak-revoke-'));

describe('revoke-on-post', { timeout: 60_000 }, () => {
  it('revokes the access token and both tokens of audience, authenticated as the client; keeps nothing secret in the state, deletes its list', async () => {
    let listDuringJob = '';
    const run = await runAction(inputs({ 'exchange-audience': 'api' }), {
      betweenSteps: async (main) => {
        listDuringJob = main.state.revoke ?? '';
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(listDuringJob).toMatch(/keycloak-revoke-[^/]+\/tokens\.json$/);
    expect(revoked('access_token').sort()).toEqual(issuedAccessTokens(run).sort());
    expect(revoked('refresh_token')).toEqual([]);
    expect(keycloak.revocations.every((r) => r.url === '/realms/test/protocol/openid-connect/revoke' && r.form.get('client_secret') === 'client-secret-value')).toBe(true);
    expect(visibleLog(run)).toMatch(/Post step: revoked 2 access tokens this job handed out\./);
    expect(warnings(run)).toEqual([]);
    expect(existsSync(listDuringJob)).toBe(false);
    expect(leftUnder(run.runnerTemp)).toEqual([]);
    expectNoLeaks(run, [stored, 'client-secret-value', ...issuedAccessTokens(run), run.outputs['refresh-token'] ?? '']);
  });

  it('with exchange-only, revokes the full token that was never handed out as well', async () => {
    const run = await runAction(inputs({ 'exchange-audience': 'api', 'exchange-only': 'true' }));
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(revoked('access_token')).toHaveLength(2);
    expect(revoked('access_token')).toContain(run.outputs['access-token']);
  });

  it("revokes every token keycloak-token minted, and not the ones that expired; never the session's refresh tokens", async () => {
    lifetime = 1;
    const minted: string[] = [];
    const run = await runAction(inputs({ 'keep-fresh': 'true' }), {
      betweenSteps: async (_, job) => {
        for (let i = 0; i < 2; i++) {
          await sleep(1_100);
          const step = await runLaterStep(job, 'keycloak-token');
          expect(step.exitCode, step.stderr).toBe(0);
          minted.push(step.stdout.trim());
        }
        // The last one lives past the post step.
        lifetime = 300;
        await sleep(1_100);
        const step = await runLaterStep(job, 'keycloak-token');
        minted.push(step.stdout.trim());
      },
    });
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(revoked('access_token')).toEqual([minted[2]]);
    expect(revoked('refresh_token')).toEqual([]);
    expect(visibleLog(run)).toMatch(/Post step: revoked 1 access token this job handed out; 1 access token had expired already\./);
    for (const token of minted) expect(run.post.stdout + run.post.stderr).not.toContain(token);
  });

  it('logs out a password login nobody stores, with the newest refresh token of its keep-fresh session', async () => {
    lifetime = 1;
    const run = await runAction(inputs({ 'refresh-token': '', fallback: 'password', username: 'ci-bot', password: 'ci-bot-password', 'keep-fresh': 'true' }), {
      betweenSteps: async (_, job) => {
        await sleep(1_100);
        expect((await runLaterStep(job, 'keycloak-token')).exitCode).toBe(0);
      },
    });
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(revoked('refresh_token')).toEqual([fakeJwt({ typ: 'Offline', n: 2 }, 'Refresh2Q')]);
    expect(visibleLog(run)).toMatch(/logged out the session of the fallback login/);
  });

  it('keeps a password login that update-secret stores', async () => {
    const run = await runAction(inputs({ 'refresh-token': '', fallback: 'password', username: 'ci-bot', password: 'ci-bot-password', 'update-secret': 'KC_REFRESH', 'update-secret-token': 'ghp_Writer7Token' }), {
      env: { GITHUB_API_URL: github.url },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(revoked('access_token')).toEqual([run.outputs['access-token']]);
    expect(revoked('refresh_token')).toEqual([]);
  });

  it('revoke-on-post: false sends nothing and writes nothing', async () => {
    const run = await runAction(inputs({ 'revoke-on-post': 'false', 'keep-fresh': 'true' }));
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(keycloak.revocations).toEqual([]);
    expect(run.state.revoke).toBeUndefined();
  });

  it.each([
    [401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' }, /^Could not revoke 1 access token \(revocation-refused\): Keycloak refused the revocation \(401 unauthorized_client/],
    [405, { error: 'HTTP 405 Method Not Allowed' }, /^Could not revoke 1 access token \(revocation-not-supported\): Keycloak at 127\.0\.0\.1:\d+ has no revocation endpoint/],
  ])('a Keycloak that answers %i: one warning, and the post step succeeds', async (status, body, warning) => {
    keycloak.revocationsToo(true);
    keycloak.respondWith((request, res) => {
      if (request.url.endsWith('/revoke')) return json(res, status, body);
      json(res, 200, { access_token: fakeJwt({ exp: Math.floor(Date.now() / 1000) + 300 }, 'AccessR1'), refresh_token: fakeJwt({ typ: 'Offline' }, 'RefreshR1'), expires_in: 300 });
    });
    const run = await runAction(inputs());
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(warnings(run)).toHaveLength(1);
    expect(warnings(run)[0]).toMatch(warning);
    expect(leftUnder(run.runnerTemp)).toEqual([]);
  });

  it('a Keycloak frozen during the post step: one warning, and the post step ends within its 10 s budget', async () => {
    const front = await startSilentPeer(keycloak.baseUrl);
    try {
      let postStarted = 0;
      const run = await runAction(inputs({ 'keycloak-url': front.url, 'timeout-seconds': '30', 'exchange-audience': 'api' }), {
        timeLimitMs: 40_000,
        betweenSteps: async () => {
          front.freeze();
          postStarted = Date.now();
        },
      });
      const postMs = Date.now() - postStarted;
      expect(run.post.exitCode, visibleLog(run)).toBe(0);
      expect(warnings(run)).toEqual([expect.stringMatching(/^Could not revoke 2 access tokens \(timeout\): Keycloak at 127\.0\.0\.1:\d+ did not answer the revocation within 10 s \(the post step's revocation budget\)\./)]);
      expect(postMs).toBeLessThan(10_000 + 5_000);
      expect(front.connections).toBe(3);
      expect(leftUnder(run.runnerTemp)).toEqual([]);
    } finally {
      await front.close();
    }
  });
});

describe('the state and the list', () => {
  it('hold no token: the state only the path, the list only under RUNNER_TEMP in a 0700 folder', async () => {
    let mode = 0;
    const run = await runAction(inputs(), {
      betweenSteps: async (main) => {
        const { statSync } = await import('node:fs');
        const file = main.state.revoke ?? '';
        mode = (statSync(join(file, '..')).mode & 0o777) * 0o1000 + (statSync(file).mode & 0o777);
      },
    });
    expect(mode).toBe(0o700 * 0o1000 + 0o600);
    expect(JSON.stringify(run.state)).not.toContain(run.outputs['access-token']);
  });
});
