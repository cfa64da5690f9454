// A measurement, not a test (`npm run measure:outage`, about 6 minutes): a job
// with 60-second access tokens and 60-second S3 credentials, in which Keycloak
// is frozen (`docker pause`: its port still takes connections, nothing answers)
// for two minutes. Every 5 s a later step runs `keycloak-token`, and one boto3
// process in the Ceph container uploads an object, through the job's AWS
// profile. Prints how many of each failed, when, and what they said.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runLaterStep } from '../support/later-step.js';
import { visibleLog } from '../support/leak-check.js';
import type { JobContext } from '../support/run-action.js';
import type { StartedCeph } from '../integration/support/ceph-container.js';
import { bucketPolicy, createBucket, createOidcProvider, createRole, putRolePolicy, startCeph, webIdentityTrustPolicy } from '../integration/support/ceph-container.js';
import { prepareTestEnvironment } from '../integration/support/environment.js';
import { TEST_PASSWORD_POLICY, userRepresentation } from '../integration/support/keycloak-api.js';
import type { RunningKeycloak } from '../integration/support/keycloak-container.js';
import { DEFAULT_VERSION, startKeycloak } from '../integration/support/keycloak-container.js';
import { runScenario } from '../integration/support/scenario.js';

const REALM = 'outage';
const LIFESPAN_S = 60;
const OUTAGE_FROM_S = 60;
const OUTAGE_S = 120;
const JOB_S = 270;
const EVERY_S = 5;
const BUCKET = 'outage-bucket';
const ROLE = 'outage-writer';

let keycloak: RunningKeycloak;
let ceph: StartedCeph;

const audienceMapper = { name: 'audience ceph-s3', protocol: 'openid-connect', protocolMapper: 'oidc-audience-mapper', config: { 'included.client.audience': 'ceph-s3', 'access.token.claim': 'true' } };
const keyOrder = {
  'org.keycloak.keys.KeyProvider': [
    { name: 'rsa-generated', providerId: 'rsa-generated', config: { priority: ['200'] } },
    { name: 'rsa-enc-generated', providerId: 'rsa-enc-generated', config: { priority: ['100'], algorithm: ['RSA-OAEP'] } },
  ],
};

beforeAll(async () => {
  await prepareTestEnvironment({ keycloakVersions: [DEFAULT_VERSION], ceph: true });
  [keycloak, ceph] = await Promise.all([startKeycloak(), startCeph({ rgwPort: 7490 })]);
  await keycloak.api.createRealm({
    realm: REALM,
    enabled: true,
    accessTokenLifespan: LIFESPAN_S,
    passwordPolicy: TEST_PASSWORD_POLICY,
    components: keyOrder,
    users: [userRepresentation('alice')],
    clients: [{ clientId: 'ceph-s3', enabled: true, publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false, protocolMappers: [audienceMapper] }],
  });
  const issuer = `${keycloak.baseUrl}/realms/${REALM}`;
  await Promise.all([createOidcProvider(ceph, issuer, ['ceph-s3']), createRole(ceph, ROLE, webIdentityTrustPolicy(issuer, { audience: 'ceph-s3' })), createBucket(ceph, BUCKET)]);
  await putRolePolicy(ceph, ROLE, 'bucket-rw', bucketPolicy(BUCKET));
}, 600_000);
afterAll(async () => {
  await Promise.all([keycloak?.stop(), ceph?.stop()]);
});

interface Attempt {
  atS: number;
  ok: boolean;
  said: string;
}

function s3Step(job: JobContext, script: string) {
  const env = Object.fromEntries(Object.entries(job.laterStepEnv).filter(([name]) => name.startsWith('AWS_')));
  return ceph.exec(['bash', '-c', script], { ...env, HOME: mkdtempSync(join(tmpdir(), 'outage-home-')) });
}

it('Keycloak frozen for two minutes in a job with 60 s tokens', async () => {
  const login = { realm: REALM, clientId: 'ceph-s3', username: 'alice', password: 'alice-password-1', scope: 'openid offline_access' };
  const tokens: Attempt[] = [];
  let uploads: Attempt[] = [];
  const run = await runScenario(keycloak.api, login, await keycloak.api.login(login), { 'keep-fresh': 'true', 'role-to-assume': `arn:aws:iam:::role/${ROLE}`, 'role-duration-seconds': '60', 'sts-endpoint': ceph.s3Url }, {
    timeLimitMs: 60_000,
    betweenSteps: async (_, job) => {
      const started = Date.now();
      const at = () => Math.round((Date.now() - started) / 1000);
      const boto = s3Step(
        job,
        `python3 - <<'PY'
import boto3, time, sys
s3 = boto3.client('s3')
start = time.time()
while time.time() - start < ${JOB_S}:
    t = round(time.time() - start)
    try:
        s3.put_object(Bucket='${BUCKET}', Key=f'o-{t}.txt', Body=b'x')
        print(f'{t} ok -', flush=True)
    except Exception as error:
        print(f'{t} fail {type(error).__name__}: {str(error)[:160]}'.replace('\\n', ' '), flush=True)
    time.sleep(${EVERY_S})
PY`,
      );
      const outage = (async () => {
        await sleep(OUTAGE_FROM_S * 1000);
        const id = keycloak.container.getId();
        execFileSync('docker', ['pause', id]);
        console.log(`${at()} s: Keycloak paused`);
        await sleep(OUTAGE_S * 1000);
        execFileSync('docker', ['unpause', id]);
        console.log(`${at()} s: Keycloak unpaused`);
      })();
      while (at() < JOB_S) {
        const atS = at();
        const step = await runLaterStep(job, 'keycloak-token >/dev/null');
        tokens.push({ atS, ok: step.exitCode === 0, said: step.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('::add-mask::')).join(' | ') });
        await sleep(Math.max(0, EVERY_S * 1000 - (Date.now() - started - atS * 1000)));
      }
      await outage;
      const botoRun = await boto;
      uploads = botoRun.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [t, result, ...said] = line.split(' ');
          return { atS: Number(t), ok: result === 'ok', said: said.join(' ') };
        });
    },
  });
  expect(run.exitCode, visibleLog(run)).toBe(0);
  const report = (name: string, attempts: Attempt[]) => {
    const failed = attempts.filter((attempt) => !attempt.ok);
    console.log(`\n${name}: ${attempts.length} calls, ${failed.length} failed` + (failed.length ? ` (at ${failed.map((attempt) => attempt.atS).join(', ')} s)` : ''));
    const said = new Map<string, number>();
    for (const attempt of attempts) if (attempt.said !== '' && attempt.said !== '-') said.set(attempt.said.replace(/\d+(\.\d+)? s\b/g, 'N s'), (said.get(attempt.said.replace(/\d+(\.\d+)? s\b/g, 'N s')) ?? 0) + 1);
    for (const [line, count] of said) console.log(`  ${count} × ${line}`);
  };
  console.log(`\nKeycloak frozen from ${OUTAGE_FROM_S} s to ${OUTAGE_FROM_S + OUTAGE_S} s; access tokens and S3 credentials live ${LIFESPAN_S} s.`);
  report('keycloak-token', tokens);
  report('boto3 put_object', uploads);
}, 900_000);
