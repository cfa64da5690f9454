// Every peer the action or keycloak-token talks to, played by a server that
// reads the request and then never answers and never closes (a frozen server,
// a paused container). Each entry point must print its error and END within its
// budget: a request raced against a timer, or half-closed, leaves the socket
// open and the step hanging until the job's timeout.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeEndpoint } from './support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from './support/fake-token-endpoint.js';
import { startFakeGitHubApi } from './support/fake-github-api.js';
import type { FakeGitHubApi } from './support/fake-github-api.js';
import { refreshersOf, runLaterStep } from './support/later-step.js';
import { visibleLog } from './support/leak-check.js';
import type { ActionRun, RunOptions } from './support/run-action.js';
import { runAction } from './support/run-action.js';
import type { SilentPeer } from './support/silent-peer.js';
import { startSilentPeer } from './support/silent-peer.js';

/** What a step may take beyond its requests' deadlines: Node's start-up, the bundle, the post step. */
const SLACK_MS = 5_000;
/** Far past every budget: a step still running then has hung. */
const HANG_MS = 40_000;

let keycloak: FakeEndpoint;
let github: FakeGitHubApi;
const peers: SilentPeer[] = [];
let lifetime = 300;
let issued = 0;

beforeAll(async () => {
  keycloak = await startFakeEndpoint();
  github = await startFakeGitHubApi();
});
afterAll(async () => {
  await keycloak.close();
  await github.close();
});
afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.close();
  lifetime = 300;
  keycloakUrl = '';
});

async function silentPeer(upstream?: string, silentOn?: (requestLine: string) => boolean): Promise<SilentPeer> {
  const peer = await startSilentPeer(upstream, silentOn);
  peers.push(peer);
  return peer;
}

/** The issuer in the tokens: Keycloak as the action reaches it. */
let keycloakUrl = '';

function answerTokens(): void {
  keycloak.respondWith((_, res) => {
    issued++;
    const claims = { azp: 'ceph-s3', aud: ['ceph-s3'], iss: `${keycloakUrl || keycloak.baseUrl}/realms/test`, exp: Math.floor(Date.now() / 1000) + lifetime };
    json(res, 200, {
      access_token: fakeJwt(claims, `Access${issued}`, { alg: 'RS256', typ: 'JWT', kid: 'sig' }),
      refresh_token: fakeJwt({ typ: 'Offline', n: issued }, `Refresh${issued}`),
      expires_in: lifetime,
      token_type: 'Bearer',
    });
  });
}

const stored = fakeJwt({ typ: 'Offline' }, 'Stored');
const inputs = (extra: Record<string, string>) => ({ 'keycloak-url': keycloak.baseUrl, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': stored, 'timeout-seconds': '2', ...extra });

async function timed(run: Promise<ActionRun>): Promise<{ run: ActionRun; ms: number }> {
  const started = Date.now();
  return { run: await run, ms: Date.now() - started };
}

function expectFailedWith(run: ActionRun, kind: string, message: RegExp): void {
  expect(run.exitCode, visibleLog(run)).toBe(1);
  expect(run.outputs['failure-kind']).toBe(kind);
  const errors = run.commands.filter((command) => command.name === 'error');
  expect(errors).toHaveLength(1);
  expect(errors[0]?.data).toMatch(message);
}

const options = (extra: RunOptions = {}): RunOptions => ({ timeLimitMs: HANG_MS, ...extra });

describe('a peer that never answers and never closes', { timeout: 2 * HANG_MS + 10_000 }, () => {
  it('Keycloak: the main step gives up at timeout-seconds and ends', async () => {
    const frozen = await silentPeer();
    const { run, ms } = await timed(runAction(inputs({ 'keycloak-url': frozen.url }), options()));
    expectFailedWith(run, 'timeout', /did not answer within 2 s/);
    expect(frozen.connections).toBeGreaterThanOrEqual(1);
    expect(ms).toBeLessThan(2_000 + SLACK_MS);
  });

  it('a proxy (HTTPS_PROXY) that takes the CONNECT and never answers: the main step gives up and ends', async () => {
    const frozen = await silentPeer();
    // Not loopback, or http-client would bypass the proxy; the name is never resolved here, only the proxy is asked.
    const run = runAction(inputs({ 'keycloak-url': 'https://keycloak.invalid' }), options({ env: { HTTPS_PROXY: frozen.url } }));
    const { run: done, ms } = await timed(run);
    expectFailedWith(done, 'timeout', /did not answer within 2 s/);
    expect(frozen.connections).toBe(1);
    expect(ms).toBeLessThan(2_000 + SLACK_MS);
  });

  it("RGW's STS: the main step gives up at timeout-seconds and ends", async () => {
    answerTokens();
    const frozen = await silentPeer();
    const { run, ms } = await timed(runAction(inputs({ 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': frozen.url }), options()));
    expectFailedWith(run, 'sts-timeout', /did not answer within 2 s/);
    expect(frozen.connections).toBe(1);
    expect(ms).toBeLessThan(2_000 + SLACK_MS);
  });

  it("Keycloak's JWKS, asked while explaining a refused role: the diagnosis gives up and the step ends", async () => {
    const front = await silentPeer(keycloak.baseUrl, (requestLine) => requestLine.includes('/protocol/openid-connect/certs'));
    keycloakUrl = front.url;
    answerTokens();
    const sts = await startFakeEndpoint();
    sts.respondWith((_, res) => res.writeHead(403, { 'Content-Type': 'application/xml' }).end('<Error><Code>AccessDenied</Code><Message>no</Message></Error>'));
    try {
      // Without the post step's revocation, which would go through the same front.
      const { run, ms } = await timed(runAction(inputs({ 'keycloak-url': front.url, 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': sts.baseUrl, 'revoke-on-post': 'false' }), options()));
      expectFailedWith(run, 'sts-refused', /JWKS .* could not be read from here/);
      // The token request, then the JWKS request that got no answer.
      expect(front.connections).toBe(2);
      // The JWKS deadline is 5 s.
      expect(ms).toBeLessThan(5_000 + SLACK_MS);
    } finally {
      await sts.close();
    }
  });

  it("GitHub's API: update-secret gives up and the main step ends", async () => {
    answerTokens();
    const frozen = await silentPeer();
    const { run, ms } = await timed(
      runAction(inputs({ 'revoke-refresh-token': 'true', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'github-token-value' }), options({ env: { GITHUB_API_URL: frozen.url } })),
    );
    expectFailedWith(run, 'secret-update-failed', /did not answer|timed out|TIMEOUT/i);
    // The new refresh token is not lost with the step: it is an output.
    expect(run.outputs['refresh-token']).toMatch(/^ey/);
    expect(ms).toBeLessThan(15_000 + SLACK_MS);
  });

  it("the runner's OIDC endpoint (client-auth: github-oidc): the main step gives up and ends", async () => {
    answerTokens();
    keycloak.requests.length = 0;
    const frozen = await silentPeer();
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: `${frozen.url}/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token-value' };
    const { run, ms } = await timed(runAction(inputs({ 'client-auth': 'github-oidc', 'refresh-token': '' }), options({ env })));
    expectFailedWith(run, 'github-oidc-unavailable', /OIDC endpoint did not answer within 10 s/);
    expect(keycloak.requests).toHaveLength(0);
    expect(ms).toBeLessThan(10_000 + SLACK_MS);
  });

  it('Keycloak frozen during the job: keycloak-token gives up and ends; the refresher ends with the post step', async () => {
    keycloak.requests.length = 0;
    lifetime = 1;
    answerTokens();
    const front = await silentPeer(keycloak.baseUrl);
    let later = { exitCode: null as number | null, stderr: '', ms: 0 };
    let refreshers: string[] = [];
    let stateDir = '';
    const run = await runAction(inputs({ 'keycloak-url': front.url, 'keep-fresh': 'true', 'token-file': 'true' }), {
      ...options(),
      betweenSteps: async (main, job) => {
        stateDir = main.state['keep-fresh'] ?? '';
        front.freeze();
        // The token has expired: the command must ask the frozen Keycloak.
        await sleep(1_500);
        const started = Date.now();
        const step = await runLaterStep(job, 'keycloak-token');
        later = { ...step, ms: Date.now() - started };
        refreshers = refreshersOf(stateDir);
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(later.exitCode).toBe(1);
    expect(later.stderr).toMatch(/^keycloak-token: .*did not answer within 2 s/m);
    expect(later.ms).toBeLessThan(2_000 + SLACK_MS);
    expect(refreshers).toHaveLength(1);
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    await sleep(500);
    expect(stateDir).toMatch(/keycloak-keep-fresh-/);
    expect(refreshersOf(stateDir)).toEqual([]);
  });

  it("RGW's STS frozen during the job: keycloak-token aws-credentials gives up and ends", async () => {
    answerTokens();
    const sts = await startFakeEndpoint();
    sts.respondWith((_, res) => {
      const expiration = new Date(Date.now() + 3_000).toISOString();
      res.writeHead(200, { 'Content-Type': 'application/xml' }).end(
        `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>TEMPKEYID0001</AccessKeyId><SecretAccessKey>temp-secret-key-0001</SecretAccessKey><SessionToken>temp-session-token-0001</SessionToken><Expiration>${expiration}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
      );
    });
    const front = await silentPeer(sts.baseUrl);
    let later = { exitCode: null as number | null, stdout: '', stderr: '', ms: 0 };
    try {
      const run = await runAction(inputs({ 'keep-fresh': 'true', 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': front.url, 'role-duration-seconds': '60' }), {
        ...options(),
        betweenSteps: async (_, job) => {
          front.freeze();
          // The credentials have expired: the command must ask the frozen STS.
          await sleep(3_500);
          const started = Date.now();
          const step = await runLaterStep(job, 'keycloak-token aws-credentials');
          later = { ...step, ms: Date.now() - started };
        },
      });
      expect(run.exitCode, visibleLog(run)).toBe(0);
      expect(later.exitCode).toBe(1);
      expect(later.stdout).toBe('');
      expect(later.stderr).toMatch(/^keycloak-token: .*did not answer within 2 s/m);
      expect(later.ms).toBeLessThan(2_000 + SLACK_MS);
      expect(front.connections).toBe(2);
    } finally {
      await sts.close();
    }
  });

  it("GitHub's API frozen at the end of the job: the post step's store gives up within its 30 s budget and still deletes the session", async () => {
    lifetime = 1;
    answerTokens();
    const front = await silentPeer(github.url);
    let stateDir = '';
    let postStarted = 0;
    const run = await runAction(inputs({ 'keep-fresh': 'true', 'revoke-refresh-token': 'true', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'github-token-value' }), {
      ...options({ env: { GITHUB_API_URL: front.url } }),
      betweenSteps: async (main, job) => {
        stateDir = main.state['keep-fresh'] ?? '';
        await sleep(1_200);
        // Rotates the refresh token: the post step has a newer one to store.
        expect((await runLaterStep(job, 'keycloak-token')).exitCode).toBe(0);
        front.freeze();
        postStarted = Date.now();
      },
    });
    const postMs = Date.now() - postStarted;
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.post.exitCode).toBe(1);
    const errors = run.post.commands.filter((command) => command.name === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.data).toMatch(/Could not store the new refresh token in secret KEYCLOAK_REFRESH_TOKEN .*did not answer/);
    expect(postMs).toBeLessThan(30_000 + SLACK_MS);
    expect(stateDir).toMatch(/keycloak-keep-fresh-/);
    expect(existsSync(stateDir)).toBe(false);
  });
});
