// keep-fresh against the real Keycloak and Ceph RGW: access tokens that live
// 4 s and STS credentials that live 60 s (the suite's RGW allows that short a
// session), used by later steps long after they first expired.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';
import { logLaterStep, refreshersOf, runLaterStep } from '../support/later-step.js';
import { expectNoLeaks, shownLog, visibleLog } from '../support/leak-check.js';
import type { JobContext } from '../support/run-action.js';
import type { RunningCeph } from './support/ceph-container.js';
import { bucketPolicy, createBucket, createOidcProvider, createRole, putRolePolicy, webIdentityTrustPolicy } from './support/ceph-container.js';
import type { FaultProxy } from './support/fault-proxy.js';
import { startFaultProxy } from './support/fault-proxy.js';
import type { FakeGitHubOidc } from './support/fake-github-oidc.js';
import { BOUND_SUB, federatedRealm, startFakeGitHubOidc } from './support/fake-github-oidc.js';
import { KeycloakApi, TEST_PASSWORD_POLICY } from './support/keycloak-api.js';
import { runJobScenario, runScenario } from './support/scenario.js';
import { sharedCeph, sharedKeycloakApi } from './support/shared-servers.js';

const api = sharedKeycloakApi();
const REALM = 'keep-fresh';
const ROTATING = 'keep-fresh-rotation';
const LIFESPAN_S = 4;
const BUCKET = 'keep-fresh-bucket';
const ROLE = 'keep-fresh-writer';
const alice = (realm = REALM) => ({ realm, clientId: 'ceph-s3', username: 'alice', password: 'alice-password-1', scope: 'openid offline_access' });

const audienceMapper = { name: 'audience ceph-s3', protocol: 'openid-connect', protocolMapper: 'oidc-audience-mapper', config: { 'included.client.audience': 'ceph-s3', 'access.token.claim': 'true', 'introspection.token.claim': 'true' } };
// RGW verifies with the JWKS's first key: the signing key before the encryption key.
const keyOrder = {
  'org.keycloak.keys.KeyProvider': [
    { name: 'rsa-generated', providerId: 'rsa-generated', config: { priority: ['200'] } },
    { name: 'rsa-enc-generated', providerId: 'rsa-enc-generated', config: { priority: ['100'], algorithm: ['RSA-OAEP'] } },
    { name: 'hmac-generated-hs512', providerId: 'hmac-generated', config: { priority: ['100'], algorithm: ['HS512'] } },
    { name: 'aes-generated', providerId: 'aes-generated', config: { priority: ['100'] } },
  ],
};

/** The federated realm (client `pipeline` for GitHub OIDC tokens) with 4-second access tokens and a public client ceph-s3, both with aud ceph-s3. */
function keepFreshRealm(realm: string, github: FakeGitHubOidc, rotation: boolean): Record<string, unknown> {
  const base = federatedRealm(realm, github) as { clients: Record<string, unknown>[] };
  return {
    ...base,
    accessTokenLifespan: LIFESPAN_S,
    passwordPolicy: TEST_PASSWORD_POLICY,
    revokeRefreshToken: rotation,
    refreshTokenMaxReuse: 0,
    components: keyOrder,
    clients: [
      ...base.clients.map((client) => ({ ...client, protocolMappers: [audienceMapper] })),
      { clientId: 'ceph-s3', enabled: true, publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false, protocolMappers: [audienceMapper] },
    ],
  };
}

let ceph: RunningCeph;
let github: FakeGitHubOidc;
let githubApi: FakeGitHubApi;
let proxy: FaultProxy;
const issuer = `${api.baseUrl}/realms/${REALM}`;

beforeAll(async () => {
  [ceph, github, githubApi] = await Promise.all([sharedCeph(), startFakeGitHubOidc(), startFakeGitHubApi()]);
  await Promise.all([api.createRealm(keepFreshRealm(REALM, github, false)), api.createRealm(keepFreshRealm(ROTATING, github, true))]);
  proxy = await startFaultProxy(inject('keycloakUrl'));
  await Promise.all([
    createOidcProvider(ceph, issuer, ['ceph-s3']),
    createRole(ceph, ROLE, webIdentityTrustPolicy(issuer, { audience: 'ceph-s3' })),
    createBucket(ceph, BUCKET),
  ]);
  await putRolePolicy(ceph, ROLE, 'bucket-rw', bucketPolicy(BUCKET));
}, 240_000);
afterAll(async () => {
  await Promise.all([api.deleteRealm(REALM), api.deleteRealm(ROTATING)]);
  await Promise.all([github?.close(), githubApi?.close(), proxy?.close()]);
});

const lifespans = (n: number) => sleep(n * LIFESPAN_S * 1000);

/** A later step that runs awscli or boto3 in the Ceph container, with the job's AWS profile; its output goes into the job's log. */
async function s3Step(job: JobContext, script: string, extraEnv: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'later-step-home-'));
  const env = Object.fromEntries(Object.entries(job.laterStepEnv).filter(([name]) => name.startsWith('AWS_') || name.startsWith('ACTIONS_ID_TOKEN')));
  const result = await ceph.exec(['bash', '-c', `set -euo pipefail\ncd "$(mktemp -d)"\n${script}`], { ...env, HOME: home, ...extraEnv });
  logLaterStep(job, `run: ${script.split('\n')[0]}`, result);
  return result;
}

const role = { 'role-to-assume': `arn:aws:iam:::role/${ROLE}`, 'role-duration-seconds': '60' };

describe('keep-fresh on Keycloak 26.7.3', () => {
  it('keycloak-token hands out a token Keycloak accepts after several lifespans', async () => {
    const login = alice();
    const run = await runScenario(api, login, await api.login(login), { 'keep-fresh': 'true' }, {
      betweenSteps: async (_, job) => {
        for (let round = 0; round < 3; round++) {
          await lifespans(1);
          const step = await runLaterStep(job, 'keycloak-token');
          expect(step.exitCode, step.stderr).toBe(0);
          expect(await api.userinfoStatus(REALM, step.stdout.trim())).toEqual({ status: 200, username: 'alice' });
        }
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
  }, 60_000);

  it('20 parallel calls on a stale token: one request reaches Keycloak', async () => {
    const viaProxy = new KeycloakApi(proxy.url);
    const login = alice();
    const run = await runScenario(viaProxy, login, await viaProxy.login(login), { 'keep-fresh': 'true' }, {
      betweenSteps: async (_, job) => {
        await lifespans(1);
        const before = proxy.requests;
        const calls = await Promise.all(Array.from({ length: 20 }, () => runLaterStep(job, 'keycloak-token')));
        expect(calls.map((call) => call.exitCode)).toEqual(Array(20).fill(0));
        expect(new Set(calls.map((call) => call.stdout)).size).toBe(1);
        expect(proxy.requests - before).toBe(1);
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
  }, 60_000);

  it('rotation on: 10 calls across expiries, no refusal, and the stored secret is the last token, which Keycloak takes', async () => {
    const login = alice(ROTATING);
    const run = await runScenario(api, login, await api.login(login), { 'revoke-refresh-token': 'true', 'keep-fresh': 'true', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'ghp_Fresh4Writer2Token' }, {
      env: { GITHUB_API_URL: githubApi.url },
      betweenSteps: async (_, job) => {
        for (let call = 0; call < 10; call++) {
          await sleep(LIFESPAN_S * 1000 - 500);
          const step = await runLaterStep(job, 'keycloak-token');
          expect(step.exitCode, step.stderr).toBe(0);
        }
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.post.exitCode, run.post.stdout).toBe(0);
    const storedToken = githubApi.stored.get('/repos/acme/pipeline/actions/secrets/KEYCLOAK_REFRESH_TOKEN') ?? '';
    const next = await runScenario(api, login, { refresh_token: storedToken });
    expect(next.exitCode, visibleLog(next)).toBe(0);
  }, 90_000);

  it('after the post step: the session is gone, the command says so, no refresher is left', async () => {
    const login = alice();
    let job: JobContext | undefined;
    const run = await runScenario(api, login, await api.login(login), { 'keep-fresh': 'true', 'token-file': 'true' }, { betweenSteps: async (_, j) => void (job = j) });
    expect(run.post.stdout).toContain('Ended the keep-fresh session');
    const after = await runLaterStep(job as JobContext, 'keycloak-token');
    expect(after.exitCode).toBe(1);
    const stateDir = run.state['keep-fresh'] ?? '';
    expect(stateDir.startsWith(`${run.runnerTemp}/`)).toBe(true);
    expect(after.stderr.startsWith(`keycloak-token: the session in ${stateDir} has ended: the Keycloak token action's post step deletes it`), after.stderr).toBe(true);
    expect(after.stdout).toBe('');
    expect(existsSync(stateDir)).toBe(false);
    expect(refreshersOf(stateDir)).toEqual([]);
  });

  it('awscli and boto3 through the AWS profile, before and after the first credentials expired, and one boto3 upload loop across it; aws --debug before and after', async () => {
    const login = alice();
    const tokens = await api.login(login);
    const started = Date.now();
    const sessionTokenIn = (debug: string) => /'X-Amz-Security-Token': b'([^']+)'/.exec(debug)?.[1] ?? '';
    let renewedSessionToken = '';
    const run = await runScenario(api, login, tokens, { 'keep-fresh': 'true', ...role, 'sts-endpoint': ceph.s3Url }, {
      betweenSteps: async (main, job) => {
        // RGW's Expiration for the 60 s session the main step assumed (to the second, on the same clock).
        const expiration = Date.parse(main.outputs['aws-expiration'] ?? '');
        expect(expiration).toBeGreaterThanOrEqual(started + 59_000);
        expect(expiration).toBeLessThanOrEqual(Date.now() + 61_000);
        expect(main.outputs['aws-access-key-id']).toMatch(/^\S{8,}$/);
        expect(job.laterStepEnv).toMatchObject({ AWS_PROFILE: 'keycloak', AWS_CONFIG_FILE: expect.stringContaining(job.runnerTemp) });
        expect(job.laterStepEnv.AWS_ACCESS_KEY_ID).toBeUndefined();
        const before = await s3Step(job, `echo first | aws s3 cp - s3://${BUCKET}/first.txt && python3 -c "import boto3; print(boto3.client('s3').get_object(Bucket='${BUCKET}', Key='first.txt')['Body'].read().decode().strip())"`);
        expect(before.exitCode, before.stderr).toBe(0);
        expect(before.stdout).toBe('first\n');
        // botocore's debug log shows the request headers, session token included. The main step minted these
        // credentials and masked them: the runner shows *** (runScenario's leak check holds every line to it).
        const debugFirst = await s3Step(job, `aws --debug s3 ls s3://${BUCKET}/first.txt`);
        expect(debugFirst.exitCode, debugFirst.stderr.slice(-2000)).toBe(0);
        expect(sessionTokenIn(debugFirst.stderr)).toBe(main.outputs['aws-session-token']);
        // One process that keeps uploading while its credentials expire (60 s) and are re-assumed.
        const loop = await s3Step(
          job,
          `python3 - <<'PY'
import boto3, time
s3 = boto3.client('s3')
for i in range(8):
    s3.put_object(Bucket='${BUCKET}', Key=f'loop-{i}.txt', Body=b'x')
    time.sleep(10)
print(len(s3.list_objects_v2(Bucket='${BUCKET}', Prefix='loop-')['Contents']))
PY`,
        );
        expect(loop.exitCode, loop.stderr).toBe(0);
        expect(loop.stdout).toBe('8\n');
        const after = await s3Step(job, `aws s3 cp s3://${BUCKET}/first.txt -`);
        expect(after.exitCode, after.stderr).toBe(0);
        expect(after.stdout).toBe('first\n');
        const debugAfter = await s3Step(job, `aws --debug s3 ls s3://${BUCKET}/first.txt`);
        expect(debugAfter.exitCode, debugAfter.stderr.slice(-2000)).toBe(0);
        renewedSessionToken = sessionTokenIn(debugAfter.stderr);
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(shownLog(run)).toContain("'X-Amz-Security-Token': b'***'");
    // Not covered: credential_process assumed the role again after the main step; its add-mask went to
    // botocore's pipe, never to the runner, so aws --debug shows the new session token in clear.
    expect(renewedSessionToken).toMatch(/^\S{20,}$/);
    expect(renewedSessionToken).not.toBe(run.outputs['aws-session-token']);
    expect(shownLog(run)).toContain(`'X-Amz-Security-Token': b'${renewedSessionToken}'`);
  }, 180_000);

  it('the token file stays fresh: awscli assumes the role with it after the first token in it expired', async () => {
    const login = alice();
    const run = await runScenario(api, login, await api.login(login), { 'keep-fresh': 'true', 'token-file': 'true' }, {
      betweenSteps: async (main, job) => {
        await lifespans(2);
        const step = await s3Step(job, `aws s3 ls s3://${BUCKET}`, {
          AWS_WEB_IDENTITY_TOKEN_FILE: main.outputs['access-token-file'] ?? '',
          AWS_ROLE_ARN: role['role-to-assume'],
          AWS_ROLE_SESSION_NAME: 'keep-fresh-file',
          AWS_ENDPOINT_URL: ceph.s3Url,
          AWS_REGION: 'us-east-1',
        });
        expect(step.exitCode, step.stderr).toBe(0);
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
  }, 60_000);

  it('secretless: GitHub OIDC, Keycloak service account, RGW STS, S3, with no stored secret anywhere', async () => {
    const pipeline = { realm: REALM, clientId: 'pipeline', username: 'alice', password: 'alice-password-1' };
    const run = await runJobScenario(api, github, pipeline, { refresh_token: '' }, { 'keep-fresh': 'true', ...role, 'sts-endpoint': ceph.s3Url, 'refresh-token': '', scope: 'openid' }, { sub: BOUND_SUB }, {
      betweenSteps: async (_, job) => {
        await lifespans(1);
        const token = await runLaterStep(job, 'keycloak-token');
        expect(token.exitCode, token.stderr).toBe(0);
        expect((await api.userinfoStatus(REALM, token.stdout.trim())).username).toBe('service-account-pipeline');
        const s3 = await s3Step(job, `echo secretless | aws s3 cp - s3://${BUCKET}/secretless.txt && aws s3 cp s3://${BUCKET}/secretless.txt -`);
        expect(s3.exitCode, s3.stderr).toBe(0);
        expect(s3.stdout).toBe('secretless\n');
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expectNoLeaks(run, run.secrets);
  }, 90_000);
});
