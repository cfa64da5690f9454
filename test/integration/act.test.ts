// Every whole workflow of the README and of the docs it links to, run by a real
// runner, nektos/act (host mode), against the suite's Keycloak, Ceph RGW, fake GitHub
// OIDC issuer and fake GitHub API. Each workflow is read from its document at test
// time (renamed inputs flow through); only the example hosts, realms, roles and
// buckets are replaced by the suite's, and `OWNER/...@v1` by `./`. Each run is held
// to: act's exit code, which steps ran with what result (act's --json log, post steps
// included), the effect on the servers, and act's whole output free of JWT-shaped
// strings and of every 12-character piece of every secret that was issued or given.
import { spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';
import { SECRET_OUTPUTS } from '../support/leak-check.js';
import { closeServer, listenOnLoopback } from '../support/loopback-server.js';
import type { ActRun, DocWorkflow, Workflow } from './support/act.js';
import { actTools, docWorkflow, docWorkflows, grantsIdToken, leaksIn, linkedDocuments, prepareWorkflow, repositoryCopy, runAct, stepResults } from './support/act.js';
import type { RunningCeph } from './support/ceph-container.js';
import { bucketPolicy, createBucket, createOidcProvider, createRole, iamAdminEnv, putRolePolicy, webIdentityTrustPolicy } from './support/ceph-container.js';
import type { FakeGitHubIssues } from './support/fake-github-issues.js';
import { startFakeGitHubIssues } from './support/fake-github-issues.js';
import type { FakeGitHubOidc } from './support/fake-github-oidc.js';
import { federatedRealm, startFakeGitHubOidc } from './support/fake-github-oidc.js';
import { TEST_PASSWORD_POLICY, userRepresentation } from './support/keycloak-api.js';
import { startKeycloak } from './support/keycloak-container.js';
import { ACTION_ROOT } from '../support/action-definition.js';
import { sharedCeph, sharedKeycloakApi } from './support/shared-servers.js';

const api = sharedKeycloakApi();

// The realms, roles and buckets of this file (the shared servers hold other files' too).
const REALMS = { test: 'act-test', rotation: 'act-rotation', ceph: 'act-ceph', ci: 'act-ci' };
const ROLE = 'act-writer';
const BUCKET = 'act-bucket';
const CLIENT_SECRET = 'Act-client-secret-7Yq2xR';
const SECRETS_WRITER = 'github_pat_ActTest4Kq9Zp2Lw7Vb3Nm8';

const audienceMapper = { name: 'audience ceph-s3', protocol: 'openid-connect', protocolMapper: 'oidc-audience-mapper', config: { 'included.client.audience': 'ceph-s3', 'access.token.claim': 'true', 'introspection.token.claim': 'true' } };
const publicClient = (clientId: string, mappers: unknown[] = []) => ({ clientId, enabled: true, publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false, protocolMappers: mappers });
const confidentialClient = (clientId: string, attributes: Record<string, string> = {}, mappers: unknown[] = []) => ({
  clientId, enabled: true, publicClient: false, clientAuthenticatorType: 'client-secret', secret: CLIENT_SECRET, directAccessGrantsEnabled: true, standardFlowEnabled: false, attributes, protocolMappers: mappers,
});
// RGW verifies with the JWKS's first key: the signing key first (docs/s3-ceph-rgw.md).
const keyOrder = {
  'org.keycloak.keys.KeyProvider': [
    { name: 'rsa-generated', providerId: 'rsa-generated', config: { priority: ['200'] } },
    { name: 'rsa-enc-generated', providerId: 'rsa-enc-generated', config: { priority: ['100'], algorithm: ['RSA-OAEP'] } },
    { name: 'hmac-generated-hs512', providerId: 'hmac-generated', config: { priority: ['100'], algorithm: ['HS512'] } },
  ],
};
const realmOf = (realm: string, extra: Record<string, unknown>) => ({ realm, enabled: true, passwordPolicy: TEST_PASSWORD_POLICY, users: [userRepresentation('ci-bot')], ...extra });

let ceph: RunningCeph;
let github: FakeGitHubOidc;
let githubApi: FakeGitHubApi;
let fakeApi: FakeApi;
let githubIssues: FakeGitHubIssues;
let repository: string;

beforeAll(async () => {
  // act and the S3 clients first: built when missing, before any server is touched.
  await actTools();
  [ceph, github, githubApi, fakeApi, githubIssues] = await Promise.all([sharedCeph(), startFakeGitHubOidc(), startFakeGitHubApi(), startFakeApi(), startFakeGitHubIssues()]);
  await Promise.all([
    api.createRealm(realmOf(REALMS.test, { clients: [publicClient('ceph-s3'), confidentialClient('ci-confidential')] })),
    // docs/rotation-and-parallel-jobs.md: "Revoke Refresh Token" on, Max Reuse 4 for the 4 shards.
    api.createRealm(realmOf(REALMS.rotation, { revokeRefreshToken: true, refreshTokenMaxReuse: 4, clients: [publicClient('ceph-s3')] })),
    // docs/s3-ceph-rgw.md's Keycloak side, and docs/least-privilege.md's exchanging client.
    api.createRealm(realmOf(REALMS.ceph, {
      components: keyOrder,
      clients: [publicClient('ceph-s3', [audienceMapper]), confidentialClient('pipeline', { 'standard.token.exchange.enabled': 'true' }, [audienceMapper])],
    })),
    // docs/github-oidc.md's set-up: client pipeline bound to the job's sub.
    api.createRealm(federatedRealm(REALMS.ci, github)),
  ]);
  const issuer = `${api.baseUrl}/realms/${REALMS.ceph}`;
  await Promise.all([createOidcProvider(ceph, issuer, ['ceph-s3']), createRole(ceph, ROLE, webIdentityTrustPolicy(issuer, { audience: 'ceph-s3' })), createBucket(ceph, BUCKET)]);
  await putRolePolicy(ceph, ROLE, 'act-bucket-rw', bucketPolicy(BUCKET));
  await untilRgwAcceptsTheRealm();
  repository = repositoryCopy(USER_PROJECT);
}, 240_000);

afterAll(async () => {
  await Promise.all(Object.values(REALMS).map((realm) => api.deleteRealm(realm).catch(() => undefined)));
  await Promise.all([github?.close(), githubApi?.close(), fakeApi?.close(), githubIssues?.close()]);
  if (repository) rmSync(repository, { recursive: true, force: true });
});

/**
 * RGW refused (AccessDenied, "Failed the auth strategy") the first web identities of the
 * realm just created, for some seconds, now and then; the same realm's tokens passed
 * later in the same run. The workflows' tests wait until RGW takes one, by the plain
 * STS call the action makes, so that a refusal in a test is the workflow's.
 */
async function untilRgwAcceptsTheRealm(): Promise<void> {
  const started = Date.now();
  let status = 0;
  while (Date.now() - started < 60_000) {
    const { access_token: token } = await ciBot(REALMS.ceph);
    const form = new URLSearchParams({ Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: `arn:aws:iam:::role/${ROLE}`, RoleSessionName: 'act-warm-up', DurationSeconds: '900', WebIdentityToken: token });
    status = (await fetch(ceph.s3Url, { method: 'POST', body: form })).status;
    if (status === 200) {
      console.log(`RGW took the realm's tokens after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    await new Promise((done) => setTimeout(done, 1000));
  }
  throw new Error(`RGW still refuses the realm's tokens after 60 s (HTTP ${status}):\n${await ceph.rgwLog(30)}`);
}

/**
 * The files of the user's own project that the docs' workflows run: its test script
 * (the matrix recipe) and its Makefile (long jobs). Each calls the API as a user's would.
 */
const USER_PROJECT = {
  'run-tests.sh': '#!/usr/bin/env bash\nset -euo pipefail\necho "shard $2"\ncurl -fsS -o /dev/null -H "Authorization: Bearer $TOKEN" "$API_URL/me"\n',
  Makefile: 'build:\n\ttar cf build.tar README.md action.yml\n',
};

// ---------------------------------------------------------------------------
// A stand-in for api.example.com: /me answers what Keycloak's userinfo answers for
// the bearer token (at the token's own issuer), and records each call.
// ---------------------------------------------------------------------------

interface FakeApi {
  url: string;
  calls: { token: string; status: number; username?: string }[];
  close(): Promise<void>;
}

async function startFakeApi(): Promise<FakeApi> {
  const calls: FakeApi['calls'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      let status = 401;
      let body = '{}';
      try {
        const { iss } = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss: string };
        if (!iss.startsWith(`${api.baseUrl}/realms/`)) throw new Error('not the suite\'s Keycloak');
        const answer = await fetch(`${iss}/protocol/openid-connect/userinfo`, { headers: { Authorization: `Bearer ${token}` } });
        status = answer.status;
        body = await answer.text();
      } catch {
        // Not a token of the suite's Keycloak: 401.
      }
      calls.push({ token, status, username: status === 200 ? (JSON.parse(body) as { preferred_username?: string }).preferred_username : undefined });
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(body);
    })();
  });
  return { url: await listenOnLoopback(server), calls, close: () => closeServer(server) };
}

// ---------------------------------------------------------------------------
// What every case does: substitute, run under act, collect the secrets, leak check
// ---------------------------------------------------------------------------

interface Case {
  doc: string;
  /** What picks the workflow out of its document. */
  pattern: RegExp;
  /** The realm each example realm maps to. */
  realms: Record<string, string>;
}

const CASES = {
  quickStart: { doc: 'README.md', pattern: /name: API call with a Keycloak token\n/, realms: { test: REALMS.test } },
  fallback: { doc: 'docs/first-refresh-token.md', pattern: /fallback: password/, realms: { test: REALMS.test } },
  rotation: { doc: 'docs/rotation-and-parallel-jobs.md', pattern: /name: API call with a rotating refresh token/, realms: { test: REALMS.rotation } },
  matrix: { doc: 'docs/rotation-and-parallel-jobs.md', pattern: /matrix:/, realms: { test: REALMS.rotation } },
  roleArn: { doc: 'docs/s3-ceph-rgw.md', pattern: /name: Upload a report to Ceph\n/, realms: { ceph: REALMS.ceph } },
  tokenFile: { doc: 'docs/s3-ceph-rgw.md', pattern: /name: Upload a report to Ceph with a token file/, realms: { ceph: REALMS.ceph } },
  keepFresh: { doc: 'docs/long-jobs.md', pattern: /keep-fresh: true/, realms: { test: REALMS.ceph } },
  leastPrivilege: { doc: 'docs/least-privilege.md', pattern: /exchange-only: true/, realms: { test: REALMS.ceph } },
  githubOidc: { doc: 'docs/github-oidc.md', pattern: /client-auth: github-oidc/, realms: { ci: REALMS.ci } },
  nightly: { doc: 'docs/nightly-check.md', pattern: /mode: check/, realms: { test: REALMS.test } },
} satisfies Record<string, Case>;

function substitutions(which: Case): [string | RegExp, string][] {
  return [
    ['https://sso.example.com', api.baseUrl],
    ['https://rgw.example.com', ceph.s3Url],
    ['https://api.example.com', fakeApi.url],
    ...Object.entries(which.realms).map(([from, to]): [RegExp, string] => [new RegExp(`(realm: |/realms/)${from}\\b`, 'g'), `$1${to}`]),
    [/\bci-writer\b/g, ROLE],
    [/\bci-bucket\b/g, BUCKET],
  ];
}

interface RunCase {
  secrets: Record<string, string>;
  /** Change the document's text first (the negative tests). */
  edit?: (text: string) => string;
  event?: string;
  job?: string;
  extraEnv?: Record<string, string>;
  /** Secrets issued outside the run's outputs and the fake API (OIDC tokens...). */
  alsoSecret?: () => string[];
}

interface CaseRun extends ActRun {
  workflow: Workflow;
  /** Every output of every step of every job, by step id. */
  outputs: Record<string, Record<string, string>>;
  secrets: string[];
}

async function runCase(which: Case, options: RunCase): Promise<CaseRun> {
  const source: DocWorkflow = docWorkflow(which.doc, which.pattern);
  const text = options.edit ? options.edit(source.text) : source.text;
  const workflow = prepareWorkflow(text, substitutions(which));
  const jobs = options.job ? [options.job] : Object.keys(workflow.jobs);
  // GitHub gives the runner's OIDC variables only to a job with id-token: write; act knows
  // no permissions, so the harness decides as GitHub does.
  const oidc = jobs.every((job) => grantsIdToken(workflow, job)) ? github.runnerEnv() : {};
  const handedBefore = github.handedOut.length;
  const callsBefore = fakeApi.calls.length;
  const on = workflow.on;
  const events = typeof on === 'string' ? [on] : Array.isArray(on) ? (on as string[]) : Object.keys(on as object);
  const event = options.event ?? (events.includes('push') ? 'push' : 'workflow_dispatch');
  const run = await runAct(workflow, {
    event,
    job: options.job,
    repository,
    secrets: options.secrets,
    runnerEnv: { ...oidc, GITHUB_API_URL: githubApi.url, API_URL: fakeApi.url, ...options.extraEnv },
  });
  const outputs: Record<string, Record<string, string>> = {};
  for (const context of run.contexts) for (const [id, step] of Object.entries(context.steps)) outputs[`${context.job}.${id}`] = step.outputs;
  const issued = [
    ...Object.values(outputs).flatMap((values) => SECRET_OUTPUTS.map((name) => values[name] ?? '')),
    ...fakeApi.calls.slice(callsBefore).map((call) => call.token),
    ...github.handedOut.slice(handedBefore),
    ...github.unseen,
    ...[...githubApi.stored.values()],
    ...(options.alsoSecret?.() ?? []),
  ];
  const secrets = [...new Set([...Object.values(options.secrets), ...issued])].filter((s) => s !== '');
  return { ...run, workflow, outputs, secrets };
}

/** The log for an assertion message: act's step messages (masked), never raw fields. */
const logOf = (run: ActRun) => {
  const failed = new Set(run.events.filter((event) => event.stepResult === 'failure').map((event) => `${event.jobID} ${event.stage} ${event.stepID?.[0]}`));
  const ofFailed = run.events.filter((event) => failed.has(`${event.jobID} ${event.stage} ${event.stepID?.[0]}`)).map((event) => event.msg ?? '');
  return `failed steps:\n${ofFailed.join('').slice(-4000)}\nend of the log:\n${run.events.map((event) => event.msg ?? '').join('\n').slice(-2000)}`;
};

/** Every step of every job succeeded, and the post step of each `uses: ./` ran and succeeded. */
function expectAllSucceeded(run: CaseRun, jobs = Object.keys(run.workflow.jobs)): void {
  expect(run.exitCode, logOf(run)).toBe(0);
  for (const job of jobs) {
    const steps = run.workflow.jobs[job]?.steps ?? [];
    const doc = steps.filter((step) => step.name !== 'act-test: keep the steps context');
    const expected = [
      ...doc.map((step, i) => `Main ${step.id ?? stepName(step, i)}: success`),
      ...doc.map((step, i) => [step, i] as const).filter(([step]) => step.uses === './').reverse().map(([step, i]) => `Post ${step.id ?? stepName(step, i)}: success`),
    ];
    // A matrix job reports once per combination: the same list each time.
    const combinations = [...new Set(run.steps.filter((step) => step.job === job).map((step) => step.matrix))];
    expect(combinations.length, `job ${job} ran`).toBeGreaterThan(0);
    for (const matrix of combinations) {
      expect(new Set(stepResults(run, job, JSON.parse(matrix) as Record<string, unknown>)), `job ${job} ${matrix}`).toEqual(new Set(expected));
    }
  }
  expect(leaksIn(run, run.secrets)).toEqual([]);
}

/** act's id for a step without one: its index in the job (our collector step and checkout included). */
function stepName(_step: unknown, index: number): string {
  return String(index);
}

async function expectRefreshTokenWorks(realm: string, refreshToken: string | undefined): Promise<void> {
  expect(refreshToken ?? '').not.toBe('');
  const answer = await fetch(api.tokenUrl(realm), { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', client_id: 'ceph-s3', refresh_token: refreshToken ?? '' }) });
  expect(answer.status).toBe(200);
}

/**
 * The object's size as the bucket's owner lists it. (The object belongs to the role's
 * session that uploaded it: RGW lets the bucket's owner list it, not read it.)
 */
async function objectInBucket(key: string): Promise<number | undefined> {
  const result = await ceph.exec(['aws', 's3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', key, '--output', 'json'], iamAdminEnv(ceph));
  expect(result.exitCode, result.stderr).toBe(0);
  const listed = (JSON.parse(result.stdout || '{}') as { Contents?: { Key: string; Size: number }[] }).Contents ?? [];
  return listed.find((object) => object.Key === key)?.Size;
}

/** Removes the object as the bucket's owner, so that a test sees its own upload. */
async function removeObject(key: string): Promise<void> {
  await ceph.exec(['aws', 's3api', 'delete-object', '--bucket', BUCKET, '--key', key], iamAdminEnv(ceph));
  expect(await objectInBucket(key)).toBeUndefined();
}

const ciBot = (realm: string, extra: Record<string, string> = {}) => api.login({ realm, clientId: 'ceph-s3', username: 'ci-bot', password: 'ci-bot-password-1', scope: 'openid offline_access', ...extra });

// ---------------------------------------------------------------------------

describe('the workflows act runs', () => {
  it('are every whole workflow of the README and the docs it links to, each run by one test here', () => {
    const all = linkedDocuments().flatMap((doc) => docWorkflows(doc).map((workflow) => ({ doc, ...workflow })));
    expect(all.length).toBeGreaterThanOrEqual(10);
    const unclaimed = all.filter((workflow) => Object.values(CASES).filter((which) => which.doc === workflow.doc && which.pattern.test(workflow.text)).length !== 1);
    expect(unclaimed.map((workflow) => workflow.where)).toEqual([]);
  });
});

describe('README: the one-API-call workflow under act', () => {
  it('refreshes, calls the API with the token (userinfo 200), runs the post step, prints no token', async () => {
    const tokens = await ciBot(REALMS.test);
    const run = await runCase(CASES.quickStart, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token } });
    expectAllSucceeded(run);
    expect(run.outputs['api.keycloak']).toMatchObject({ grant: 'refresh_token', 'token-type': 'Bearer' });
    const call = fakeApi.calls.at(-1);
    expect(call).toMatchObject({ status: 200, username: 'ci-bot' });
    expect(call?.token).toBe(run.outputs['api.keycloak']?.['access-token']);
  });

  it('a wrong input name (refresh_token for refresh-token) fails the step, and the API is never called', async () => {
    const tokens = await ciBot(REALMS.test);
    const calls = fakeApi.calls.length;
    const run = await runCase(CASES.quickStart, {
      secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token },
      edit: (text) => text.replace(/^(\s+)refresh-token:/m, '$1refresh_token:'),
    });
    expect(run.exitCode).not.toBe(0);
    expect(stepResults(run, 'api')).toEqual(['Main 0: success', 'Main keycloak: failure', 'Post keycloak: success']);
    expect(run.outputs['api.keycloak']?.['failure-kind']).toBe('input');
    expect(fakeApi.calls.length).toBe(calls);
    expect(leaksIn(run, run.secrets)).toEqual([]);
    // What the workflow's own test asserts turns red on it.
    expect(() => expectAllSucceeded(run)).toThrow();
  });
});

describe("the leak check on act's output", () => {
  it('sees a token cut short, which no mask matches: the quick start with a step that prints 20 characters of it', async () => {
    const tokens = await ciBot(REALMS.test);
    const run = await runCase(CASES.quickStart, {
      secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token },
      // A later step as a careless user writes it: the runner masks whole values only.
      edit: (text) => `${text.trimEnd()}\n      - env:\n          TOKEN: \${{ steps.keycloak.outputs.access-token }}\n        run: 'echo "\${TOKEN:40:20}"'\n`,
    });
    expect(run.exitCode, logOf(run)).toBe(0);
    expect(leaksIn(run, run.secrets)).toEqual([expect.stringMatching(/^a 12-character piece of secret #\d+/)]);
  });
});

describe('docs/first-refresh-token.md: the re-login fallback under act', () => {
  it('a dead stored token: logs in with the password secret, the API takes the new token', async () => {
    // An online session's token (offline sessions survive a logout), then the session ended.
    const dead = await ciBot(REALMS.test, { scope: 'openid' });
    await api.logoutUser(REALMS.test, 'ci-bot');
    const run = await runCase(CASES.fallback, { secrets: { KEYCLOAK_REFRESH_TOKEN: dead.refresh_token, KEYCLOAK_CI_BOT_PASSWORD: 'ci-bot-password-1' } });
    expectAllSucceeded(run);
    expect(run.outputs['api.keycloak']?.grant).toBe('password');
    expect(run.events.some((event) => event.command === 'warning')).toBe(true);
    expect(fakeApi.calls.at(-1)).toMatchObject({ status: 200, username: 'ci-bot' });
  });
});

describe('docs/rotation-and-parallel-jobs.md under act', () => {
  it('rotation with update-secret: the fake GitHub API holds a new refresh token that works', async () => {
    const tokens = await ciBot(REALMS.rotation);
    const run = await runCase(CASES.rotation, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token, SECRETS_WRITER_TOKEN: SECRETS_WRITER } });
    expectAllSucceeded(run);
    const stored = githubApi.stored.get('/repos/acme/pipeline/actions/secrets/KEYCLOAK_REFRESH_TOKEN');
    expect(stored).toBe(run.outputs['api.keycloak']?.['refresh-token']);
    expect(githubApi.requests.at(-1)?.authorization).toBe(`Bearer ${SECRETS_WRITER}`);
    expect(fakeApi.calls.at(-1)).toMatchObject({ status: 200, username: 'ci-bot' });
    await expectRefreshTokenWorks(REALMS.rotation, stored);
  });

  it('the matrix recipe: four shards call the API, store-token stores a token that works', async () => {
    const tokens = await ciBot(REALMS.rotation);
    const calls = fakeApi.calls.length;
    const run = await runCase(CASES.matrix, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token, SECRETS_WRITER_TOKEN: SECRETS_WRITER } });
    expectAllSucceeded(run);
    expect(stepResults(run, 'test').filter((line) => line.startsWith('Main keycloak'))).toHaveLength(4);
    expect(fakeApi.calls.slice(calls).map((call) => call.status)).toEqual([200, 200, 200, 200]);
    await expectRefreshTokenWorks(REALMS.rotation, githubApi.stored.get('/repos/acme/pipeline/actions/secrets/KEYCLOAK_REFRESH_TOKEN'));
  });
});

describe('docs/s3-ceph-rgw.md under act, against Ceph RGW 18.2', () => {
  it('role-to-assume: the action assumes the role, awscli uploads and boto3 reads back with the exported credentials', async () => {
    const tokens = await ciBot(REALMS.ceph);
    await removeObject('report.txt');
    const run = await runCase(CASES.roleArn, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token } });
    expectAllSucceeded(run);
    // boto3 printed what awscli uploaded.
    expect(run.log).toContain('built by run 4242\n');
    expect(await objectInBucket('report.txt')).toBe('built by run 4242\n'.length);
  });

  it('the token file: awscli assumes the role itself with the file and uploads', async () => {
    const tokens = await ciBot(REALMS.ceph);
    await removeObject('report.txt');
    const run = await runCase(CASES.tokenFile, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token } });
    expectAllSucceeded(run);
    expect(run.outputs['upload.keycloak']?.['access-token-file']).toMatch(/keycloak-token-/);
    expect(await objectInBucket('report.txt')).toBe('built by run 4242\n'.length);
  });
});

describe('docs/long-jobs.md under act: keep-fresh', () => {
  it('keycloak-token calls the API, the AWS profile uploads the build, the post step ends the session', async () => {
    const tokens = await ciBot(REALMS.ceph);
    const calls = fakeApi.calls.length;
    await removeObject('build.tar');
    const run = await runCase(CASES.keepFresh, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token } });
    expectAllSucceeded(run);
    expect(fakeApi.calls.slice(calls)).toMatchObject([{ status: 200, username: 'ci-bot' }]);
    // tar's blocks: at least 10 KiB.
    expect(await objectInBucket('build.tar')).toBeGreaterThanOrEqual(10240);
  });
});

describe('docs/least-privilege.md under act: a token only RGW accepts', () => {
  it('exchanges for aud ceph-s3, assumes the role with the narrowed token, uploads', async () => {
    const tokens = await api.login({ realm: REALMS.ceph, clientId: 'pipeline', clientSecret: CLIENT_SECRET, username: 'ci-bot', password: 'ci-bot-password-1', scope: 'openid offline_access' });
    await removeObject('report.txt');
    const run = await runCase(CASES.leastPrivilege, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token, KEYCLOAK_CLIENT_SECRET: CLIENT_SECRET } });
    expectAllSucceeded(run);
    const narrowed = run.outputs['upload.keycloak']?.['access-token'] ?? '';
    expect(JSON.parse(Buffer.from(narrowed.split('.')[1] ?? '', 'base64url').toString('utf8'))).toMatchObject({ aud: 'ceph-s3', azp: 'pipeline' });
    expect(await objectInBucket('report.txt')).toBe('built by run 4242\n'.length);
  });
});

describe('docs/github-oidc.md under act: no stored secret', () => {
  it("the runner's OIDC token authenticates the client; the API takes the service account's token", async () => {
    const handed = github.handedOut.length;
    const run = await runCase(CASES.githubOidc, { secrets: {} });
    expectAllSucceeded(run);
    expect(github.handedOut.length).toBeGreaterThan(handed);
    expect(github.audiences.at(-1)).toBe(`${api.baseUrl}/realms/${REALMS.ci}`);
    expect(fakeApi.calls.at(-1)).toMatchObject({ status: 200, username: 'service-account-pipeline' });
  });

  it('without permissions id-token: write the runner gives no OIDC token: the step fails with github-oidc-unavailable', async () => {
    const calls = fakeApi.calls.length;
    const run = await runCase(CASES.githubOidc, { secrets: {}, edit: (text) => text.replace(/^\s+id-token: write.*\n/m, '') });
    expect(grantsIdToken(run.workflow, 'api')).toBe(false);
    expect(run.exitCode).not.toBe(0);
    expect(stepResults(run, 'api')).toEqual(['Main 0: success', 'Main keycloak: failure', 'Post keycloak: success']);
    expect(run.outputs['api.keycloak']?.['failure-kind']).toBe('github-oidc-unavailable');
    expect(fakeApi.calls.length).toBe(calls);
    expect(leaksIn(run, run.secrets)).toEqual([]);
    expect(() => expectAllSucceeded(run)).toThrow();
  });
});

describe('docs/nightly-check.md under act', () => {
  const GITHUB_TOKEN = 'ghs_ActNightly6Tz3Qw8Lp1Xv5';
  // gh reaches api.github.com through the fake's proxy, trusting the run's CA; nothing else goes through it.
  const ghEnv = () => ({ HTTPS_PROXY: githubIssues.proxyUrl, SSL_CERT_FILE: githubIssues.caFile });
  const confidentialLogin = (scope: string) => api.login({ realm: REALMS.test, clientId: 'ci-confidential', clientSecret: CLIENT_SECRET, username: 'ci-bot', password: 'ci-bot-password-1', scope });

  it('a working offline token: the check passes by a refresh, no issue is opened', async () => {
    const tokens = await confidentialLogin('openid offline_access');
    const requests = githubIssues.requests.length;
    const run = await runCase(CASES.nightly, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token, KEYCLOAK_CLIENT_SECRET: CLIENT_SECRET, GITHUB_TOKEN }, extraEnv: ghEnv() });
    expect(run.exitCode, logOf(run)).toBe(0);
    // act reports nothing for a step its `if:` skips: the issue step is simply not there.
    expect(stepResults(run, 'check')).toEqual(['Main 0: success', 'Main check: success', 'Post check: success']);
    expect(run.events.some((event) => event.msg?.includes('Open an issue'))).toBe(false);
    expect(run.outputs['check.check']).toMatchObject({ valid: 'true', 'token-kind': 'Offline' });
    expect(githubIssues.requests.length).toBe(requests);
    expect(leaksIn(run, run.secrets)).toEqual([]);
  });

  it('a dead token: the check fails, the next step opens an issue, and the next night comments on it', async () => {
    const nights: CaseRun[] = [];
    for (let night = 0; night < 2; night++) {
      const tokens = await confidentialLogin('openid');
      await api.logoutUser(REALMS.test, 'ci-bot');
      nights.push(await runCase(CASES.nightly, { secrets: { KEYCLOAK_REFRESH_TOKEN: tokens.refresh_token, KEYCLOAK_CLIENT_SECRET: CLIENT_SECRET, GITHUB_TOKEN }, extraEnv: ghEnv() }));
    }
    for (const run of nights) {
      expect(run.exitCode).not.toBe(0);
      expect(stepResults(run, 'check')).toEqual(['Main 0: success', 'Main check: failure', 'Main 2: success', 'Post check: success']);
      expect(run.outputs['check.check']?.['failure-kind']).toBe('session-ended');
      expect(leaksIn(run, run.secrets)).toEqual([]);
    }
    const dead = githubIssues.issues.filter((issue) => issue.title === 'Keycloak: the stored refresh token is dead');
    expect(dead).toHaveLength(1);
    expect(dead[0]?.body).toMatch(/^`session-ended` in https:\/\/github\.com\/acme\/pipeline\/actions\/runs\/4242\. Log in again/);
    expect(dead[0]?.comments).toHaveLength(1);
    expect(githubIssues.requests.every((request) => request.authorization === `token ${GITHUB_TOKEN}`)).toBe(true);
  });
});

describe('.github/workflows/ci.yml under act: the job that runs the action itself', () => {
  it('imports the realm, logs in, refreshes, checks, and fails on an unknown realm as the job expects', async () => {
    // act's host mode has no service containers. The job's `keycloak` service is an empty
    // Keycloak 26.7.3 with an admin user at localhost:8080; its stand-in is one of our
    // images (same version, same admin), started here, with its built-in `test` realm
    // removed so that the job's own import step meets the empty server it expects.
    const keycloak = await startKeycloak();
    try {
      await keycloak.api.deleteRealm('test');
      const workflow = prepareWorkflow(readFileSync(join(ACTION_ROOT, '.github/workflows/ci.yml'), 'utf8'), [['http://localhost:8080', keycloak.baseUrl]]);
      const job = workflow.jobs.action;
      expect(job?.services).toBeDefined();
      delete job?.services;
      const run = await runAct(workflow, { event: 'push', job: 'action', repository });
      expect(run.exitCode, logOf(run)).toBe(0);
      const steps = job?.steps ?? [];
      const id = (i: number) => steps[i]?.id ?? String(i);
      const ours = steps.flatMap((step, i) => (step.uses === './' ? [i] : []));
      const expected = [
        ...steps.filter((step) => step.name !== 'act-test: keep the steps context').map((step, i) => `Main ${id(i)}: ${step.id === 'unknown-realm' ? 'failure' : 'success'}`),
        ...ours.reverse().map((i) => `Post ${id(i)}: success`),
      ];
      expect(new Set(stepResults(run, 'action'))).toEqual(new Set(expected));
      const outputs = Object.fromEntries(run.contexts.flatMap((context) => Object.entries(context.steps)).map(([stepId, step]) => [stepId, step]));
      expect(outputs['unknown-realm']).toMatchObject({ outcome: 'failure', conclusion: 'success', outputs: { 'failure-kind': 'realm-unknown' } });
      const issued = Object.values(outputs).flatMap((step) => [...SECRET_OUTPUTS, 'refresh-token'].map((name) => step.outputs[name] ?? ''));
      expect(issued.filter((token) => token !== '').length).toBeGreaterThan(3);
      expect(leaksIn(run, issued.filter((token) => token !== ''))).toEqual([]);
    } finally {
      await keycloak.stop();
    }
  });
});

describe("CONTRIBUTING's Debugging locally: the quick start under act by hand", () => {
  it('runs as written against the suite\'s Keycloak: every step succeeds, userinfo answers, no token is printed', async () => {
    const contributing = readFileSync(join(ACTION_ROOT, 'CONTRIBUTING.md'), 'utf8');
    const section = contributing.slice(contributing.indexOf('## Debugging locally'), contributing.indexOf('## Releasing'));
    const block = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '').find((text) => text.includes('/bin/act push'));
    expect(block).toBeDefined();
    // Only the Keycloak's URL is the suite's; the realm test, alice and ceph-s3 are in its image.
    const script = (block ?? '').replace(/^KC=.*$/m, `KC=${api.baseUrl}`);
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ACTION_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exitCode = await new Promise<number | null>((done) => child.on('close', done));
    expect(exitCode, output.replace(/eyJ[\w.-]+/g, '<JWT>').slice(-3000)).toBe(0);
    for (const line of ['⭐ Run Main ./', '✅  Success - Main ./', '✅  Success - Main Call an API', '✅  Success - Post ./', '🏁  Job succeeded']) expect(output).toContain(line);
    expect(output).toContain('"preferred_username":"alice"');
    expect(output).toContain('::set-output:: access-token=***');
    expect(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/.test(output)).toBe(false);
  }, 120_000);
});

describe('act against actions/runner: what it does not do as the runner does (the emulation probe under act)', () => {
  // test/support/probe-action reports its environment and writes commands on request; these are
  // the points where act v0.2.89 and actions/runner part (the runner's source named on each),
  // pinned here so that an act upgrade that changes one is noticed. run-action.ts follows the runner.
  it('inputs, GITHUB_ACTION_PATH, workflow commands, file commands, post steps', async () => {
    const probeRepository = repositoryCopy();
    cpSync(join(ACTION_ROOT, 'test/support/probe-action'), probeRepository, { recursive: true });
    const workflow = prepareWorkflow(`name: probe
on: push
permissions:
  id-token: write
jobs:
  probe:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: files
        uses: ./
        with: { main: file-commands, NO-DEFAULT: given, undeclared: x }
      - id: commands
        uses: ./
        with: { main: commands }
      - id: shell
        run: |
          printf 'crlf=a\\r\\n' >> "$GITHUB_OUTPUT"
          echo "::warning::at the start"
      - id: failing
        uses: ./
        continue-on-error: true
        with: { main: fail }
`);
    const run = await runAct(workflow, { event: 'push', repository: probeRepository });
    rmSync(probeRepository, { recursive: true, force: true });
    expect(run.exitCode, logOf(run)).toBe(0);
    const reports = run.events.filter((event) => event.msg?.startsWith('REPORT ')).map((event) => ({ step: event.stepID?.[0], stage: event.stage, ...(JSON.parse(event.msg?.slice(7) ?? '{}') as { env: Record<string, string> }) }));
    const files = reports.find((report) => report.step === 'files' && report.stage === 'Main');
    // Inputs are matched in any case, as on the runner (ActionRunner.cs: validInputs OrdinalIgnoreCase)...
    expect(files?.env['INPUT_NO-DEFAULT']).toBe('given');
    // ...and an undeclared one is passed on, but without the runner's "Unexpected input(s) 'undeclared'" warning (ActionRunner.cs 221-236).
    expect(files?.env.INPUT_UNDECLARED).toBe('x');
    expect(run.events.some((event) => event.command === 'warning' && event.stepID?.[0] === 'files')).toBe(false);
    // GITHUB_ACTION_PATH: empty under act; the runner sets it for composite actions only (CompositeActionHandler.cs 160).
    expect(files?.env.GITHUB_ACTION_PATH).toBe('');
    // No OIDC variables whatever the permissions: act knows no `permissions` (the runner: NodeScriptActionHandler.cs 66-69).
    expect(files?.env.ACTIONS_ID_TOKEN_REQUEST_URL).toBeUndefined();
    // Workflow commands: act wants them at the very start of a line; the runner trims leading
    // white space (ActionCommand.cs 62) and finds ##[ anywhere in a line (ActionCommand.cs 132).
    const echoed = run.events.filter((event) => event.stepID?.[0] === 'commands' && event.raw_output).map((event) => event.msg?.trim());
    expect(echoed).toContain('::add-mask::on-stderr');
    expect(echoed).toContain('text before ##[warning]a legacy command anywhere in a line');
    // `notice` is a command the runner knows (ActionCommandManager.cs 641), act does not.
    expect(run.events.find((event) => event.stepID?.[0] === 'commands' && event.command === 'notice')?.msg).toContain('❓');
    expect(run.events.some((event) => event.command === 'warning' && event.stepID?.[0] === 'shell')).toBe(true);
    // File commands: act drops a CR before LF; the runner on Linux keeps it (FileCommandManager.cs ReadLine, CRLF only #if OS_WINDOWS).
    expect(run.contexts[0]?.steps.shell?.outputs.crlf).toBe('a');
    // Post steps: after a failed main step too, in reverse order, with the saved state (as the runner: post-if always()).
    expect(stepResults(run, 'probe').filter((line) => line.startsWith('Post'))).toEqual(['Post failing: success', 'Post commands: success', 'Post files: success']);
    expect(reports.filter((report) => report.stage === 'Post').every((report) => report.env.STATE_phase === 'main-done')).toBe(true);
  });
});
