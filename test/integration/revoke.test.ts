// revoke-on-post against a real Keycloak, 26.7.3 (the shared one) and 26.4.7
// (its own, under /auth), in a realm of this file's own: after the post step
// every access token the job handed out is dead at userinfo and introspection,
// the stored refresh token (and with rotation the newly stored one) still
// refreshes, a password login nobody stores leaves no session behind, and a
// Keycloak that refuses or freezes costs one warning within the budget.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';
import { runLaterStep } from '../support/later-step.js';
import { visibleLog } from '../support/leak-check.js';
import type { ActionRun } from '../support/run-action.js';
import { startSilentPeer } from '../support/silent-peer.js';
import type { KeycloakApi, Login } from './support/keycloak-api.js';
import { ADMIN, KeycloakApi as Api, TEST_PASSWORD_POLICY, userRepresentation } from './support/keycloak-api.js';
import type { RunningKeycloak } from './support/keycloak-container.js';
import { COMPAT_VERSION, DEFAULT_VERSION, startKeycloak } from './support/keycloak-container.js';
import { runJobScenario, runScenario as runAnyScenario } from './support/scenario.js';
import type { FakeGitHubOidc } from './support/fake-github-oidc.js';
import { federatedRealm, firstLoginByPassword, pipelineLogin, startFakeGitHubOidc } from './support/fake-github-oidc.js';
import { sharedKeycloakApi } from './support/shared-servers.js';

const REALM = 'revoke';
const ROTATING = 'revoke-rotation';
const SECRET = 'Revoke-secret-7mK2';
const SECRET_PATH = '/repos/acme/pipeline/actions/secrets/KC_REFRESH';

const audienceMapper = (audience: string) => ({
  name: `audience ${audience}`,
  protocol: 'openid-connect',
  protocolMapper: 'oidc-audience-mapper',
  config: { 'included.client.audience': audience, 'access.token.claim': 'true', 'introspection.token.claim': 'true' },
});

const confidential = (clientId: string, attributes: Record<string, string> = {}, audiences = [clientId, 'api']) => ({
  clientId,
  enabled: true,
  publicClient: false,
  clientAuthenticatorType: 'client-secret',
  secret: SECRET,
  directAccessGrantsEnabled: true,
  standardFlowEnabled: false,
  attributes: { 'standard.token.exchange.enabled': 'true', ...attributes },
  // 26.7.3 answers active: false at introspection unless the introspecting client is in the token's aud.
  protocolMappers: audiences.map(audienceMapper),
});

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'];

function realm(name: string, rotation: boolean) {
  return {
    realm: name,
    enabled: true,
    passwordPolicy: TEST_PASSWORD_POLICY,
    revokeRefreshToken: rotation,
    refreshTokenMaxReuse: 0,
    clients: [
      confidential('pipeline'),
      // Its access tokens live 6 s: keycloak-token mints new ones during a short job.
      confidential('pipeline-short', { 'access.token.lifespan': '6' }, ['pipeline-short']),
      confidential('pipeline-refused'),
      { ...confidential('api', {}, ['api']), directAccessGrantsEnabled: false },
    ],
    users: USERS.map(userRepresentation),
  };
}

/** Admin calls this file needs beyond KeycloakApi's. */
async function admin(api: KeycloakApi, method: string, path: string, body?: unknown): Promise<unknown> {
  const { access_token: token } = await api.login({ realm: 'master', clientId: 'admin-cli', ...ADMIN });
  const response = await fetch(`${api.baseUrl}${path}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  return response.status === 204 || response.headers.get('content-length') === '0' ? undefined : response.json();
}

/** The user's online and offline sessions, as the admin console lists them. */
async function sessionCount(api: KeycloakApi, realmName: string, username: string): Promise<number> {
  const id = await api.userId(realmName, username);
  const online = (await admin(api, 'GET', `/admin/realms/${realmName}/users/${id}/sessions`)) as unknown[];
  let offline = 0;
  for (const clientId of ['pipeline', 'pipeline-short']) {
    const uuid = await api.clientUuid(realmName, clientId);
    offline += ((await admin(api, 'GET', `/admin/realms/${realmName}/users/${id}/offline-sessions/${uuid}`)) as unknown[]).length;
  }
  return online.length + offline;
}

async function introspect(api: KeycloakApi, realmName: string, token: string, clientId: string): Promise<boolean> {
  const form = new URLSearchParams({ token, token_type_hint: 'access_token', client_id: clientId, client_secret: SECRET });
  const response = await fetch(`${api.baseUrl}/realms/${realmName}/protocol/openid-connect/token/introspect`, { method: 'POST', body: form });
  return ((await response.json()) as { active?: boolean }).active === true;
}

/** Whether Keycloak takes the access token: userinfo's status and introspection by a client in its aud. */
async function accepted(api: KeycloakApi, realmName: string, token: string): Promise<{ userinfo: number; active: boolean }> {
  const aud = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { aud?: string | string[] }).aud;
  const introspector = [aud].flat().find((client) => client !== undefined && client !== 'api') ?? 'api';
  return { userinfo: (await api.userinfoStatus(realmName, token)).status, active: await introspect(api, realmName, token, introspector) };
}

async function refreshes(api: KeycloakApi, realmName: string, clientId: string, refreshToken: string): Promise<number> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId, client_secret: SECRET });
  return (await fetch(api.tokenUrl(realmName), { method: 'POST', body: form })).status;
}

const login = (username: string, clientId = 'pipeline', realmName = REALM): Login => ({ realm: realmName, clientId, clientSecret: SECRET, username, password: `${username}-password-1`, scope: 'openid offline_access' });
/** runScenario with the action's default, which the suite's other scenarios turn off. */
const runScenario: typeof runAnyScenario = (api, who, tokens, inputs = {}, options = {}) => runAnyScenario(api, who, tokens, { 'revoke-on-post': 'true', ...inputs }, options);
const postWarnings = (run: ActionRun) => run.post.commands.filter((command) => command.name === 'warning').map((command) => command.data);

describe.each([
  [DEFAULT_VERSION, false],
  [COMPAT_VERSION, true],
])('Keycloak %s: the post step revokes what the job minted', (version, ownServer) => {
  let keycloak: RunningKeycloak | undefined;
  let api: KeycloakApi;
  let github: FakeGitHubApi;
  let oidc: FakeGitHubOidc;
  const FEDERATED = 'revoke-github-oidc';
  beforeAll(async () => {
    if (ownServer) keycloak = await startKeycloak({ version });
    api = keycloak?.api ?? sharedKeycloakApi();
    [github, oidc] = await Promise.all([startFakeGitHubApi(), startFakeGitHubOidc()]);
    for (const name of [REALM, ROTATING, FEDERATED]) await api.deleteRealm(name).catch(() => undefined);
    for (const name of [REALM, ROTATING]) await api.createRealm(realm(name, name === ROTATING));
    await api.createRealm(federatedRealm(FEDERATED, oidc));
  });
  afterAll(async () => {
    await github?.close();
    await oidc?.close();
    if (keycloak) await keycloak.stop();
    else for (const name of [REALM, ROTATING, FEDERATED]) await api.deleteRealm(name).catch(() => undefined);
  });

  it('client-auth: github-oidc: revoked with a new GitHub OIDC assertion, never printed in the post step', async () => {
    const pipeline = pipelineLogin(FEDERATED);
    const stored = await firstLoginByPassword(api, oidc, pipeline);
    const beforeRun = oidc.handedOut.length;
    let afterMain = 0;
    // betweenSteps makes runJobScenario hold the post step's OIDC tokens as never seen: nothing may print them.
    const run = await runJobScenario(api, oidc, pipeline, stored, { 'revoke-on-post': 'true' }, {}, {
      betweenSteps: async () => {
        afterMain = oidc.handedOut.length;
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(afterMain).toBeGreaterThan(beforeRun);
    expect(oidc.handedOut.length).toBe(afterMain + 1);
    expect(postWarnings(run)).toEqual([]);
    expect((await api.userinfoStatus(FEDERATED, run.outputs['access-token'] ?? '')).status).toBe(401);
  });

  it('access-token and exchanged-token: active during the job, inactive after it (access-token 401 at userinfo); the stored refresh token still refreshes', async () => {
    const stored = await api.login(login('alice'));
    let during: { userinfo: number; active: boolean }[] = [];
    const run = await runScenario(api, login('alice'), stored, { 'exchange-audience': 'api' }, {
      betweenSteps: async (main) => {
        during = await Promise.all([main.outputs['access-token'] ?? '', main.outputs['exchanged-token'] ?? ''].map((token) => accepted(api, REALM, token)));
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    // userinfo refuses the narrowed token (aud: api only) with 403 before and after, so for it
    // introspection by api (active, then not) is the proof.
    expect(during).toEqual([{ userinfo: 200, active: true }, { userinfo: 403, active: true }]);
    const after = await Promise.all([run.outputs['access-token'] ?? '', run.outputs['exchanged-token'] ?? ''].map((token) => accepted(api, REALM, token)));
    expect(after).toEqual([{ userinfo: 401, active: false }, { userinfo: 403, active: false }]);
    expect(visibleLog(run)).toMatch(/Post step: revoked 2 access tokens this job handed out\./);
    expect(postWarnings(run)).toEqual([]);
    expect(await refreshes(api, REALM, 'pipeline', stored.refresh_token)).toBe(200);
    // The refresh token the job got (and never stored) was not revoked either: its session lives.
    expect(await refreshes(api, REALM, 'pipeline', run.outputs['refresh-token'] ?? '')).toBe(200);
  });

  it('every token keycloak-token minted is dead after the post step; the session and the stored token live', async () => {
    const stored = await api.login(login('bob', 'pipeline-short'));
    const minted: string[] = [];
    const run = await runScenario(api, login('bob', 'pipeline-short'), stored, { 'keep-fresh': 'true' }, {
      betweenSteps: async (main, job) => {
        minted.push(main.outputs['access-token'] ?? '');
        // 6 s tokens are renewed with 1.5 s left.
        await sleep(4_700);
        const step = await runLaterStep(job, 'keycloak-token');
        expect(step.exitCode, step.stderr).toBe(0);
        minted.push(step.stdout.trim());
        expect(await accepted(api, REALM, minted[1] ?? '')).toEqual({ userinfo: 200, active: true });
      },
    });
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(minted[1]).not.toBe(minted[0]);
    expect(await accepted(api, REALM, minted[1] ?? '')).toEqual({ userinfo: 401, active: false });
    expect(postWarnings(run)).toEqual([]);
    // The leak check covers the post step for the command's tokens too: it never prints them.
    for (const token of minted) expect(run.post.stdout + run.post.stderr).not.toContain(token.slice(-24));
    expect(await refreshes(api, REALM, 'pipeline-short', stored.refresh_token)).toBe(200);
  });

  it('with rotation on, the newly stored refresh token still refreshes after the post step', async () => {
    const stored = await api.login(login('carol', 'pipeline', ROTATING));
    const run = await runScenario(api, login('carol', 'pipeline', ROTATING), stored, { 'revoke-refresh-token': 'true', 'update-secret': 'KC_REFRESH', 'update-secret-token': 'ghp_Writer7Token' }, { env: { GITHUB_API_URL: github.url } });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(await accepted(api, ROTATING, run.outputs['access-token'] ?? '')).toEqual({ userinfo: 401, active: false });
    const newest = github.stored.get(SECRET_PATH) ?? '';
    expect(newest).toBe(run.outputs['refresh-token']);
    expect(await refreshes(api, ROTATING, 'pipeline', newest)).toBe(200);
  });

  it('a password login nobody stores leaves no session behind; one that update-secret stores keeps working', async () => {
    const before = await sessionCount(api, REALM, 'dave');
    const fallback = { 'refresh-token': '', fallback: 'password', username: 'dave', password: 'dave-password-1', scope: 'openid offline_access' };
    const unstored = await runScenario(api, login('dave'), { refresh_token: '' }, fallback);
    expect(unstored.exitCode, visibleLog(unstored)).toBe(0);
    expect(unstored.outputs.grant).toBe('password');
    expect(visibleLog(unstored)).toMatch(/Post step: revoked 1 access token this job handed out; logged out the session of the fallback login/);
    expect(await sessionCount(api, REALM, 'dave')).toBe(before);
    expect(await refreshes(api, REALM, 'pipeline', unstored.outputs['refresh-token'] ?? '')).toBe(400);

    const kept = await runScenario(api, login('dave'), { refresh_token: '' }, { ...fallback, 'update-secret': 'KC_REFRESH', 'update-secret-token': 'ghp_Writer7Token' }, { env: { GITHUB_API_URL: github.url } });
    expect(kept.exitCode, visibleLog(kept)).toBe(0);
    expect(await sessionCount(api, REALM, 'dave')).toBeGreaterThan(before);
    expect(await refreshes(api, REALM, 'pipeline', github.stored.get(SECRET_PATH) ?? '')).toBe(200);
  });

  it('a Keycloak that refuses the revocation (the client secret changed during the job): one warning, the post step succeeds', async () => {
    const stored = await api.login(login('erin', 'pipeline-refused'));
    const uuid = await api.clientUuid(REALM, 'pipeline-refused');
    const run = await runScenario(api, login('erin', 'pipeline-refused'), stored, {}, {
      betweenSteps: async () => {
        const client = (await admin(api, 'GET', `/admin/realms/${REALM}/clients/${uuid}`)) as Record<string, unknown>;
        await admin(api, 'PUT', `/admin/realms/${REALM}/clients/${uuid}`, { ...client, secret: 'Rotated-secret-9xW1' });
      },
    });
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(postWarnings(run)).toEqual([expect.stringMatching(/^Could not revoke 1 access token \(revocation-refused\): Keycloak refused the revocation \(401 unauthorized_client: "Invalid client or Invalid client credentials"\)/)]);
    // Not revoked: Keycloak still takes it (introspection cannot say: the client's secret is not the one it had).
    expect((await api.userinfoStatus(REALM, run.outputs['access-token'] ?? '')).status).toBe(200);
  });

  it('a Keycloak frozen during the post step: one warning, and the post step ends within its 10 s budget', async () => {
    const front = await startSilentPeer(api.baseUrl);
    // The same relative path (26.4.7 serves under /auth).
    const frontApi = new Api(`${front.url}${new URL(api.baseUrl).pathname.replace(/\/$/, '')}`);
    try {
      const stored = await frontApi.login(login('frank'));
      let postStarted = 0;
      const run = await runScenario(frontApi, login('frank'), stored, { 'timeout-seconds': '30' }, {
        timeLimitMs: 40_000,
        betweenSteps: async () => {
          front.freeze();
          postStarted = Date.now();
        },
      });
      const postMs = Date.now() - postStarted;
      expect(run.post.exitCode, visibleLog(run)).toBe(0);
      expect(postWarnings(run)).toEqual([expect.stringMatching(/^Could not revoke 1 access token \(timeout\): Keycloak at 127\.0\.0\.1:\d+ did not answer the revocation within 10 s/)]);
      expect(postMs).toBeLessThan(15_000);
    } finally {
      await front.close();
    }
  }, 60_000);
});
