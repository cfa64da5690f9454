// A server other than the shared one: the previous Keycloak minor, served the legacy
// way under /auth, and then stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import { COMPAT_VERSION, startKeycloak } from './support/keycloak-container.js';
import type { RunningKeycloak } from './support/keycloak-container.js';
import type { FakeGitHubOidc } from './support/fake-github-oidc.js';
import { federatedRealm, firstLoginByPassword, pipelineLogin, startFakeGitHubOidc } from './support/fake-github-oidc.js';
import { CONFIDENTIAL, expectFailure, runJobScenario, runScenario, user } from './support/scenario.js';


describe(`Keycloak ${COMPAT_VERSION}, served under /auth (--http-relative-path=/auth)`, () => {
  let keycloak: RunningKeycloak;
  beforeAll(async () => {
    keycloak = await startKeycloak({ version: COMPAT_VERSION });
    expect(keycloak.baseUrl).toMatch(/\/auth$/);
  });
  afterAll(() => keycloak?.stop());

  it('refreshes for a public client, with /auth in keycloak-url', async () => {
    const login = user('alice');
    const tokens = await keycloak.api.login(login);
    const run = await runScenario(keycloak.api, login, tokens, {});
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect((await keycloak.api.userinfoStatus('test', run.outputs['access-token'] ?? '')).status).toBe(200);
  });

  it('explains the missing /auth', async () => {
    const tokens = await keycloak.api.login(user('alice'));
    const withoutAuth = keycloak.baseUrl.replace(/\/auth$/, '');
    const run = await runScenario(keycloak.api, user('alice'), tokens, { 'keycloak-url': withoutAuth });
    // Outside the relative path there is no Keycloak JSON, just a bare 404.
    expectFailure(run, 'endpoint-not-found', /\(HTTP 404\): no token endpoint at .*needs '\/auth' at the end of keycloak-url/);
  });

  it('refreshes for a confidential client with HTTP Basic', async () => {
    const login = { ...user('alice'), ...CONFIDENTIAL };
    const tokens = await keycloak.api.login(login);
    const run = await runScenario(keycloak.api, login, tokens, { 'client-auth': 'basic' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
  });

  it('explains a logged-out session and a wrong secret', async () => {
    const login = { ...user('carol'), ...CONFIDENTIAL };
    const tokens = await keycloak.api.login(login);
    const wrongSecret = await runScenario(keycloak.api, login, tokens, { 'client-secret': 'wrong-secret-value' });
    expectFailure(wrongSecret, 'client-secret-rejected', /401 unauthorized_client/);
    await keycloak.api.logoutUser('test', 'carol');
    const loggedOut = await runScenario(keycloak.api, login, tokens, {});
    expectFailure(loggedOut, 'session-ended', /"Session not active"\): the session behind the refresh token has ended/);
  });

  // 26.4 has federated client authentication as a preview (built in with
  // --features=client-auth-federated) and refuses a client_id other than the
  // assertion's sub, which the action therefore never sends.
  describe('client-auth: github-oidc with the client-auth-federated feature', () => {
    let github: FakeGitHubOidc;
    const pipeline = pipelineLogin('github-oidc');
    beforeAll(async () => {
      github = await startFakeGitHubOidc();
      await keycloak.api.createRealm(federatedRealm(pipeline.realm, github));
    });
    afterAll(() => github?.close());

    it('gets a service-account token, refreshes and checks a stored one', async () => {
      const serviceAccount = await runJobScenario(keycloak.api, github, pipeline, { refresh_token: '' });
      expect(serviceAccount.exitCode, visibleLog(serviceAccount)).toBe(0);
      expect(serviceAccount.outputs.grant).toBe('client_credentials');
      const stored = await firstLoginByPassword(keycloak.api, github, pipeline);
      const refreshed = await runJobScenario(keycloak.api, github, pipeline, stored);
      expect(refreshed.exitCode, visibleLog(refreshed)).toBe(0);
      const checked = await runJobScenario(keycloak.api, github, pipeline, stored, { mode: 'check' });
      expect(checked.outputs).toMatchObject({ valid: 'true', active: 'true' });
    });

    it("refuses another repository's job", async () => {
      const run = await runJobScenario(keycloak.api, github, pipeline, { refresh_token: '' }, {}, { sub: 'repo:acme/other:ref:refs/heads/main' });
      expectFailure(run, 'oidc-assertion-rejected', /no client in realm 'github-oidc' accepts the job's GitHub OIDC token \(sub 'repo:acme\/other/);
    });
  });

  it('names the host when Keycloak has stopped (connection refused)', async () => {
    const login = user('alice');
    const tokens = await keycloak.api.login(login);
    await keycloak.stop();
    const run = await runScenario(keycloak.api, login, tokens, {});
    const host = new URL(keycloak.baseUrl).host;
    expectFailure(run, 'network', new RegExp(`could not connect to ${host}: connection refused \\(ECONNREFUSED\\)`));
  });
});
