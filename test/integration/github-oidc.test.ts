// Secretless: the client authenticates with the job's GitHub OIDC token
// (Keycloak's federated client authentication), against a real Keycloak and a
// fake GitHub issuer on the Docker bridge. Every run goes through the leak
// check, OIDC tokens included, with step debug on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeEndpoint } from '../support/fake-token-endpoint.js';
import { startFakeEndpoint } from '../support/fake-token-endpoint.js';
import { visibleLog } from '../support/leak-check.js';
import type { FakeGitHubOidc, JobClaims } from './support/fake-github-oidc.js';
import { DEPLOYER_SUB, federatedRealm, firstLoginByPassword, pipelineLogin, startFakeGitHubOidc } from './support/fake-github-oidc.js';
import type { Tokens } from './support/keycloak-api.js';
import { expectFailure, runJobScenario, runScenario } from './support/scenario.js';
import { sharedKeycloakApi } from './support/shared-servers.js';

const api = sharedKeycloakApi();
const REALM = 'github-oidc';
const pipeline = pipelineLogin(REALM);
const noStoredToken = { refresh_token: '' };

let github: FakeGitHubOidc;
beforeAll(async () => {
  github = await startFakeGitHubOidc();
  await api.createRealm(federatedRealm(REALM, github));
});
afterAll(async () => {
  await api.deleteRealm(REALM);
  await github?.close();
});

const runAsJob = (tokens: Pick<Tokens, 'refresh_token'>, inputs: Record<string, string> = {}, claims: Partial<JobClaims> = {}) =>
  runJobScenario(api, github, pipeline, tokens, inputs, claims);

/** A first login by password, with an OIDC token as the client's credential: the stored token of a real set-up. */
const storedRefreshToken = () => firstLoginByPassword(api, github, pipeline);

describe('client-auth: github-oidc on Keycloak 26.7.3', () => {
  it('gets a service-account token with no stored secret at all, quietly', async () => {
    const run = await runAsJob(noStoredToken, { scope: 'openid' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs).toMatchObject({ grant: 'client_credentials', 'refresh-token': '' });
    expect(visibleLog(run)).not.toContain('::warning::');
    // The audience Keycloak wants: the realm's issuer URL, asked of the runner by default.
    expect(github.audiences.at(-1)).toBe(`${api.baseUrl}/realms/${REALM}`);
    expect(await api.userinfoStatus(REALM, run.outputs['access-token'] ?? '')).toEqual({ status: 200, username: 'service-account-pipeline' });
  });

  it('refreshes a stored refresh token, authenticating the client by the OIDC token', async () => {
    const run = await runAsJob(await storedRefreshToken());
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs.grant).toBe('refresh_token');
    expect((await api.userinfoStatus(REALM, run.outputs['access-token'] ?? '')).username).toBe('alice');
  });

  it('checks the stored token by introspection, authenticated by the OIDC token', async () => {
    const run = await runAsJob(await storedRefreshToken(), { mode: 'check' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs).toMatchObject({ valid: 'true', active: 'true', 'token-kind': 'Offline' });
    expect(run.summary).toContain('token introspection (the token is not used)');
  });

  it("refuses another repository's job, and names its sub", async () => {
    const run = await runAsJob(noStoredToken, {}, { sub: 'repo:acme/other:ref:refs/heads/main', repository: 'acme/other' });
    expectFailure(run, 'oidc-assertion-rejected', /\(401 invalid_client: "Invalid client or Invalid client credentials"\): no client in realm 'github-oidc' accepts the job's GitHub OIDC token \(sub 'repo:acme\/other:ref:refs\/heads\/main'/);
  });

  it('refuses a job of the bound repository on another branch', async () => {
    const run = await runAsJob(noStoredToken, {}, { sub: 'repo:acme/pipeline:ref:refs/heads/feature', ref: 'refs/heads/feature' });
    expectFailure(run, 'oidc-assertion-rejected', /no client in realm 'github-oidc' accepts .*sub 'repo:acme\/pipeline:ref:refs\/heads\/feature'/);
  });

  it('refuses a token for another audience, and says which audience to ask for', async () => {
    const run = await runAsJob(noStoredToken, { 'oidc-audience': api.tokenUrl(REALM) });
    expectFailure(run, 'oidc-audience-rejected', /\(400 invalid_client: "Invalid token audience"\): .*Set oidc-audience to the "issuer" of/);
  });

  it.each([
    ['expired', { issuedAgo: 3700, expiresIn: -100 }, /"Token is not active"\): .*not valid by Keycloak's clock/],
    ['issued over 300 s ago', { issuedAgo: 600, expiresIn: 3000 }, /"Token was issued too far in the past to be used now"\): .*within 300 s of its iat/],
  ])('refuses an assertion that is %s', async (_, claims, message) => {
    const run = await runAsJob(noStoredToken, {}, claims);
    expectFailure(run, 'oidc-assertion-rejected', message);
  });

  it('discards tokens of another client that the job is bound to, rather than hand them out as client-id', async () => {
    const run = await runAsJob(noStoredToken, {}, { sub: DEPLOYER_SUB });
    expectFailure(run, 'client-mismatch', /authenticated this job's GitHub OIDC token \(sub 'repo:acme\/pipeline:environment:production'\) as client 'deployer', not 'pipeline': the tokens were discarded/);
  });

  describe('without id-token permission', () => {
    let keycloak: FakeEndpoint;
    beforeAll(async () => {
      keycloak = await startFakeEndpoint();
    });
    afterAll(() => keycloak.close());

    it('fails with what to add to the workflow, and sends nothing to Keycloak', async () => {
      const run = await runScenario(api, pipeline, noStoredToken, { 'client-auth': 'github-oidc', 'keycloak-url': keycloak.baseUrl });
      expectFailure(run, 'github-oidc-unavailable', /runner offers none \(ACTIONS_ID_TOKEN_REQUEST_URL is not set\): add `permissions: id-token: write` to the job/);
      expect(keycloak.requests).toEqual([]);
    });
  });
});
