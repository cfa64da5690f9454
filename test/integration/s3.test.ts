// The S3 half against a real Ceph RGW (Reef) and a real Keycloak: the two S3
// workflows of docs/s3-ceph-rgw.md run as written (read from that page), with
// the S3 clients users run (awscli and boto3, inside the Ceph container), and
// every refusal RGW gives, with what the action says about it.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { visibleLog } from '../support/leak-check.js';
import type { RunningCeph } from './support/ceph-container.js';
import { bucketPolicy, createBucket, createOidcProvider, createRole, putRolePolicy, webIdentityTrustPolicy } from './support/ceph-container.js';
import type { Tokens } from './support/keycloak-api.js';
import { OTHER_CLIENT, S3_CLIENT, S3_REALM, SHORT_LIFESPAN_SECONDS, SHORT_LIVED_CLIENT, TRAP_REALM, s3Login } from './support/s3-realm.js';
import type { RunOptions } from '../support/run-action.js';
import type { ScenarioRun } from './support/scenario.js';
import { expectFailure, runScenario } from './support/scenario.js';
import { sharedCeph, sharedKeycloakApi } from './support/shared-servers.js';

const api = sharedKeycloakApi();
const BUCKET = 'ci-bucket';
const RUN_ID = '4242';

let ceph: RunningCeph;
const issuer = (realm: string) => `${api.baseUrl}/realms/${realm}`;

beforeAll(async () => {
  ceph = await sharedCeph();
  // Independent IAM calls go side by side: each starts an awscli (about a second of CPU).
  const aliceOnly = { audience: S3_CLIENT, sub: await api.userId(S3_REALM, 'alice') };
  await Promise.all([
    ...[S3_REALM, TRAP_REALM].map((realm) => createOidcProvider(ceph, issuer(realm), [S3_CLIENT])),
    createRole(ceph, 'ci-writer', webIdentityTrustPolicy(issuer(S3_REALM), { audience: S3_CLIENT })),
    createRole(ceph, 'trap-writer', webIdentityTrustPolicy(issuer(TRAP_REALM), { audience: S3_CLIENT })),
    createRole(ceph, 'alice-only', webIdentityTrustPolicy(issuer(S3_REALM), aliceOnly)),
    createBucket(ceph, BUCKET),
  ]);
  await Promise.all(['ci-writer', 'trap-writer', 'alice-only'].map((role) => putRolePolicy(ceph, role, 'ci-bucket-rw', bucketPolicy(BUCKET))));
}, 240_000);

const roleArn = (name: string) => `arn:aws:iam:::role/${name}`;

interface ReadmeStep {
  with?: Record<string, string>;
  env?: Record<string, string>;
  run?: string;
}

/** The S3 workflows of docs/s3-ceph-rgw.md, token file first: pairs of (this action's step, the S3 step after it). */
function readmeS3Workflows(): [ReadmeStep, ReadmeStep][] {
  const readme = readFileSync(resolve(import.meta.dirname, '../../docs/s3-ceph-rgw.md'), 'utf8');
  const section = (from: string, to: string) => readme.slice(readme.indexOf(from), readme.indexOf(to));
  const sections = [section('\n## The token file\n', '\n## The Keycloak side\n'), section('\n## The action assumes the role\n', '\n## The token file\n')];
  // Each section's one workflow: the steps of its one job.
  const blocks = sections.flatMap((text) => [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => Object.values((parse(match[1] ?? '') as { jobs: Record<string, { steps: ReadmeStep[] }> }).jobs)[0]?.steps ?? []));
  expect(blocks.map((steps) => steps.length)).toEqual([2, 2]);
  return blocks.map(([action, s3]) => [action as ReadmeStep, s3 as ReadmeStep]);
}

/** The README's placeholders and expressions, as the runner would expand them here. */
function expand(value: string, context: { refreshToken: string; outputs?: Record<string, string> }): string {
  return value
    .replaceAll('https://sso.example.com', api.baseUrl)
    .replaceAll('https://rgw.example.com', ceph.s3Url)
    .replaceAll('${{ secrets.KEYCLOAK_REFRESH_TOKEN }}', context.refreshToken)
    .replaceAll('${{ github.run_id }}', RUN_ID)
    .replace(/\$\{\{ steps\.keycloak\.outputs\.([\w-]+) \}\}/g, (_, name: string) => context.outputs?.[name] ?? '');
}

const expandAll = (values: Record<string, string> = {}, context: Parameters<typeof expand>[1]) =>
  Object.fromEntries(Object.entries(values).map(([key, value]) => [key, expand(String(value), context)]));

/**
 * Runs a script in the Ceph container (awscli, boto3) as a later workflow step
 * would: in an empty directory, with a fresh HOME and the step's environment.
 * Files the action wrote on the runner (the token file) are laid down at the
 * same path, byte for byte.
 */
async function runStep(script: string, env: Record<string, string>, files: Record<string, string> = {}) {
  const lay = Object.keys(files).map((path, i) => `mkdir -p "$(dirname '${path}')" && printf %s "$FILE_${i}" > '${path}'`);
  const fileEnv = Object.fromEntries(Object.values(files).map((content, i) => [`FILE_${i}`, content]));
  return ceph.exec(['bash', '-c', ['set -euo pipefail', ...lay, 'cd "$(mktemp -d)"', script].join('\n')], { ...env, ...fileEnv });
}

async function runReadmeAction(action: ReadmeStep, tokens: Tokens, laterSteps?: RunOptions['betweenSteps']): Promise<ScenarioRun> {
  const inputs = expandAll(action.with, { refreshToken: tokens.refresh_token });
  const run = await runScenario(api, s3Login(S3_REALM), tokens, inputs, { allowEnvSecrets: true, betweenSteps: laterSteps });
  expect(run.exitCode, visibleLog(run)).toBe(0);
  return run;
}

describe('the README S3 workflows, against Ceph RGW 18.2', () => {
  it('the token file: awscli assumes the role itself and uploads', async () => {
    const [action, s3] = readmeS3Workflows()[0] as [ReadmeStep, ReadmeStep];
    let uploaded = '';
    await runReadmeAction(action, await api.login(s3Login(S3_REALM)), async (main) => {
      const file = main.outputs['access-token-file'] ?? '';
      // The bare token: RGW refuses a token file that ends in a newline.
      const tokenFile = { [file]: readFileSync(file, 'utf8') };
      expect(tokenFile[file]).toBe(main.outputs['access-token']);
      const env = expandAll(s3.env, { refreshToken: '', outputs: main.outputs });
      const step = await runStep(expand(s3.run ?? '', { refreshToken: '' }), env, tokenFile);
      expect(step.exitCode, step.stderr).toBe(0);
      uploaded = (await runStep('aws s3 cp s3://ci-bucket/report.txt -', env, tokenFile)).stdout;
    });
    expect(uploaded).toBe(`built by run ${RUN_ID}\n`);
  });

  it('role-to-assume: the action assumes the role; awscli and boto3 use the exported credentials', async () => {
    const [action, s3] = readmeS3Workflows()[1] as [ReadmeStep, ReadmeStep];
    const run = await runReadmeAction(action, await api.login(s3Login(S3_REALM)));
    expect(run.outputs['aws-expiration']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(run.env).toMatchObject({ AWS_ENDPOINT_URL: ceph.s3Url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: run.outputs['aws-access-key-id'] });
    expect(run.summary).toContain('S3 credentials from RGW STS');
    expect(s3.env).toBeUndefined();
    // The next step sees what GITHUB_ENV exported, nothing else; boto3 reads back what awscli wrote.
    const step = await runStep(expand(s3.run ?? '', { refreshToken: '' }), run.env);
    expect(step.exitCode, step.stderr).toBe(0);
    expect(step.stdout).toContain(`built by run ${RUN_ID}\n`);
  });
});

describe('what RGW refuses, and what the action says', () => {
  // Each failure sets its outputs first: the tokens, then failure-kind.
  const STS_FAILURE_OUTPUTS = { 'token-type': 'Bearer' };
  const assumeRole = (role: string) => ({ 'role-to-assume': roleArn(role), 'sts-endpoint': ceph.s3Url });

  it("a token of a client RGW does not know: the audience is named", async () => {
    const login = s3Login(S3_REALM, 'alice', OTHER_CLIENT);
    const run = await runScenario(api, login, await api.login(login), assumeRole('ci-writer'));
    expectFailure(run, 'sts-refused', /refused AssumeRoleWithWebIdentity for role arn:aws:iam:::role\/ci-writer \(403 AccessDenied\)\. Check on RGW: .*--client-id-list holds the token's aud \(other-app\) or azp \(other-app\)/, STS_FAILURE_OUTPUTS);
    expect(await ceph.rgwLog()).toContain("Client id in token doesn't match with that registered with oidc provider");
  });

  it("a realm with Keycloak's stock key order: the JWKS trap is named", async () => {
    const login = s3Login(TRAP_REALM);
    const run = await runScenario(api, login, await api.login(login), { 'role-to-assume': roleArn('trap-writer'), 'sts-endpoint': ceph.s3Url });
    expectFailure(run, 'sts-refused', /\(403 AccessDenied\)\. RGW verifies with the first key of the issuer's JWKS, which is RSA-OAEP \(use enc\), not the key that signed this token: raise the priority of rsa-generated/, STS_FAILURE_OUTPUTS);
    expect(await ceph.rgwLog()).toContain('Signature validation failed');
  });

  it("a trust policy on sub: alice's token gets the role, bob's is refused", async () => {
    const alice = await runScenario(api, s3Login(S3_REALM), await api.login(s3Login(S3_REALM)), assumeRole('alice-only'));
    expect(alice.exitCode, visibleLog(alice)).toBe(0);
    const bobLogin = s3Login(S3_REALM, 'bob');
    const bob = await runScenario(api, bobLogin, await api.login(bobLogin), assumeRole('alice-only'));
    expectFailure(bob, 'sts-refused', /role arn:aws:iam:::role\/alice-only \(403 AccessDenied\)/, STS_FAILURE_OUTPUTS);
  });

  it('an expired token in the token file: awscli gets (Unknown), RGW logs why', async () => {
    const login = s3Login(S3_REALM, 'alice', SHORT_LIVED_CLIENT);
    let step: Awaited<ReturnType<typeof runStep>> | undefined;
    await runScenario(api, login, await api.login(login), { 'token-file': 'true' }, {
      betweenSteps: async (main) => {
        const file = main.outputs['access-token-file'] ?? '';
        await sleep((SHORT_LIFESPAN_SECONDS + 2) * 1000);
        step = await runStep('aws s3 ls s3://ci-bucket', {
          AWS_WEB_IDENTITY_TOKEN_FILE: file,
          AWS_ROLE_ARN: roleArn('ci-writer'),
          AWS_ROLE_SESSION_NAME: 'ci-expired',
          AWS_ENDPOINT_URL: ceph.s3Url,
          AWS_REGION: 'us-east-1',
        }, { [file]: readFileSync(file, 'utf8') });
      },
    });
    expect(step?.exitCode).toBe(254);
    expect(step?.stderr).toContain('An error occurred (Unknown) when calling the AssumeRoleWithWebIdentity operation: Unknown');
    expect(await ceph.rgwLog()).toContain('token expired');
  });

  it('RGW down: a network error that names the STS host', async () => {
    const run = await runScenario(api, s3Login(S3_REALM), await api.login(s3Login(S3_REALM)), { 'role-to-assume': roleArn('ci-writer'), 'sts-endpoint': 'http://127.0.0.1:9' });
    expectFailure(run, 'sts-unreachable', /could not reach RGW's STS at 127\.0\.0\.1:9 \(ECONNREFUSED\)/, STS_FAILURE_OUTPUTS);
    // The tokens were published before the STS call, and they work.
    expect((await api.userinfoStatus(S3_REALM, run.outputs['access-token'] ?? '')).status).toBe(200);
  });
});
