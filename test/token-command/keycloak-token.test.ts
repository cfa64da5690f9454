// keep-fresh against a fake Keycloak whose tokens live 2 s: the keycloak-token
// command in later steps, its lock, rotation, the token file refresher, and
// the end of it all in the post step.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';
import type { FakeEndpoint } from '../support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from '../support/fake-token-endpoint.js';
import { refreshersOf, runLaterStep } from '../support/later-step.js';
import { resolve } from 'node:path';
import { expectNoLeaks, findLeaks, shownLog, visibleLog } from '../support/leak-check.js';
import type { Issued } from '../support/leak-check.js';
import { NODE_24, runAction } from '../support/run-action.js';
import type { ActionRun } from '../support/run-action.js';

const LIFETIME_S = 2;
/** expires_in of the next tokens. */
let lifetime = LIFETIME_S;
let endpoint: FakeEndpoint;
let github: FakeGitHubApi;
let issued = 0;
/** STS answers so far, and how long the credentials they hand out live. */
let assumed = 0;
let stsLifetimeMs = 60_000;
/** Rotation: the one refresh token Keycloak still takes; undefined: any. */
let current: string | undefined;
const stored = fakeJwt({ typ: 'Offline' }, 'Stored0Refresh');

beforeAll(async () => {
  endpoint = await startFakeEndpoint();
  github = await startFakeGitHubApi();
});
afterAll(async () => {
  await endpoint.close();
  await github.close();
});
beforeEach(() => {
  issued = 0;
  assumed = 0;
  stsLifetimeMs = 60_000;
  current = undefined;
  lifetime = LIFETIME_S;
  endpoint.respondWith((request, res) => {
    if (request.form.get('Action') === 'AssumeRoleWithWebIdentity') {
      assumed++;
      const expiration = new Date(Date.now() + stsLifetimeMs).toISOString();
      res.writeHead(200, { 'Content-Type': 'text/xml' }).end(
        `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>AKID${assumed}KEEPFRESH</AccessKeyId><SecretAccessKey>Secret${assumed}Access7Key</SecretAccessKey><SessionToken>Session${assumed}Token9Value</SessionToken><Expiration>${expiration}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
      );
      return;
    }
    if (request.form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:token-exchange') {
      return json(res, 200, { access_token: fakeJwt({ azp: 'ceph-s3', aud: request.form.getAll('audience') }, `Narrow${issued}Z`), expires_in: lifetime, token_type: 'Bearer' });
    }
    const presented = request.form.get('refresh_token');
    if (current !== undefined && presented !== current) {
      return json(res, 400, { error: 'invalid_grant', error_description: 'Maximum allowed refresh token reuse exceeded' });
    }
    issued++;
    const refreshToken = fakeJwt({ typ: 'Offline', n: issued }, `Refresh${issued}X`);
    if (current !== undefined) current = refreshToken;
    json(res, 200, { access_token: fakeJwt({ azp: 'ceph-s3', n: issued }, `Access${issued}Y`), refresh_token: refreshToken, expires_in: lifetime, token_type: 'Bearer' });
  });
});

const BOTOCORE = resolve(import.meta.dirname, '../support/botocore-debug.mjs');
/** A later step that runs `aws --debug` (botocore-debug.mjs) with the job's AWS profile. */
const awsDebug = `"${NODE_24}" "${BOTOCORE}"`;
const role = (extra: Record<string, string> = {}) => ({ 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': endpoint.baseUrl, 'role-duration-seconds': '60', ...extra });
/** Which of the fake's tokens leaked, by kind and step: findLeaks' answer without its prose. */
function leaksOf(run: ActionRun, secrets: string[], minted: Issued[]): { kind: string; step: string | undefined }[] {
  const leaks = findLeaks(run, secrets, { issued: minted }).map((leak) => ({ kind: leak.secret < secrets.length ? 'given' : (minted[leak.secret - secrets.length]?.kind ?? '?'), step: leak.step }));
  // One secret breaks several rules in one place (shown unmasked, and its pieces with it): once each.
  return leaks.filter((leak, i) => leaks.findIndex((other) => other.kind === leak.kind && other.step === leak.step) === i);
}

const inputs = (extra: Record<string, string> = {}) => ({ 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': stored, 'keep-fresh': 'true', ...extra });
const requests = () => endpoint.requests.filter((r) => r.url.endsWith('/token')).length;

describe('keep-fresh: keycloak-token in later steps', { timeout: 60_000 }, () => {
  it('hands out the token while it is fresh, a new one when it is not, masked on stderr', async () => {
    const handedOut: string[] = [];
    const before = endpoint.issued.length;
    const run = await runAction(inputs(), {
      betweenSteps: async (main, job) => {
        expect(main.path).toHaveLength(1);
        expect(main.outputs['token-command']).toBe(`${main.path[0]}/keycloak-token`);
        const before = requests();
        const fresh = await runLaterStep(job, 'keycloak-token');
        expect(fresh.exitCode, fresh.stderr).toBe(0);
        expect(fresh.stdout.trim()).toBe(main.outputs['access-token']);
        expect(requests()).toBe(before);
        await sleep(LIFETIME_S * 1000);
        const renewed = await runLaterStep(job, 'curl_like() { echo "Authorization: Bearer $1" >/dev/null; }; T=$(keycloak-token) && curl_like "$T" && printf %s "$T"');
        expect(renewed.exitCode, renewed.stderr).toBe(0);
        expect(renewed.stdout).not.toBe(main.outputs['access-token']);
        expect(requests()).toBe(before + 1);
        // The refresh token it rotated to first, then the access token it prints.
        expect(renewed.stderr).toBe(`::add-mask::${fakeJwt({ typ: 'Offline', n: issued }, `Refresh${issued}X`)}\n::add-mask::${renewed.stdout}\n`);
        handedOut.push(fresh.stdout.trim(), renewed.stdout);
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    // The renewed token, minted in a later step and printed by it, is covered by keycloak-token's own add-mask on stderr.
    expectNoLeaks(run, [stored, run.outputs['access-token'] ?? '', run.outputs['refresh-token'] ?? ''], { issued: endpoint.issued.slice(before) });
    expect(shownLog(run)).not.toContain(handedOut[1]);
  });

  it('with exchange-only, hands out the token narrowed again after each refresh', async () => {
    const aud = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).aud as string[];
    await runAction(inputs({ 'client-secret': 'Client5Secret', 'exchange-audience': 'ceph-s3', 'exchange-only': 'true' }), {
      betweenSteps: async (main, job) => {
        expect(aud(main.outputs['access-token'] ?? '')).toEqual(['ceph-s3']);
        await sleep(LIFETIME_S * 1000);
        const step = await runLaterStep(job, 'keycloak-token');
        expect(step.exitCode, step.stderr).toBe(0);
        expect(step.stdout.trim()).not.toBe(main.outputs['access-token']);
        expect(aud(step.stdout.trim())).toEqual(['ceph-s3']);
      },
    });
  });

  it('20 parallel calls on a stale token make one request and all get its token', async () => {
    // Long enough that the new token stays fresh while 20 processes start on two cores.
    lifetime = 5;
    await runAction(inputs(), {
      betweenSteps: async (_, job) => {
        await sleep(lifetime * 1000 - 900);
        const before = requests();
        const calls = await Promise.all(Array.from({ length: 20 }, () => runLaterStep(job, 'keycloak-token')));
        expect(calls.map((call) => call.exitCode)).toEqual(Array(20).fill(0));
        expect(new Set(calls.map((call) => call.stdout)).size).toBe(1);
        expect(requests() - before).toBe(1);
      },
    });
  });

  it('with rotation on, never presents a used refresh token, and the post step stores the last one', async () => {
    current = stored;
    const before = endpoint.issued.length;
    const run = await runAction(inputs({ 'revoke-refresh-token': 'true', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'ghp_Writer7Token' }), {
      env: { GITHUB_API_URL: github.url },
      betweenSteps: async (_, job) => {
        for (let call = 0; call < 10; call++) {
          await sleep(LIFETIME_S * 1000 - 900);
          const step = await runLaterStep(job, 'keycloak-token');
          expect(step.exitCode, step.stderr).toBe(0);
        }
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.post.exitCode, run.post.stdout).toBe(0);
    expect(issued).toBe(11);
    expect(github.stored.get('/repos/acme/pipeline/actions/secrets/KEYCLOAK_REFRESH_TOKEN')).toBe(current);
    expect(visibleLog(run)).not.toContain('reuse exceeded');
    // Ten later steps and the post step that stored the last refresh token: nothing they were handed shows.
    expectNoLeaks(run, [stored, 'ghp_Writer7Token', run.outputs['access-token'] ?? '', run.outputs['refresh-token'] ?? ''], { issued: endpoint.issued.slice(before) });
  });

  it('keeps the token file fresh at the same path, 0600, until the post step; then the command and the refresher are gone', async () => {
    let stateDir = '';
    const before = endpoint.issued.length;
    const run = await runAction(inputs({ 'token-file': 'true' }), {
      betweenSteps: async (main) => {
        const file = main.outputs['access-token-file'] ?? '';
        stateDir = main.state['keep-fresh'] ?? '';
        const first = readFileSync(file, 'utf8');
        await sleep(LIFETIME_S * 1000 + 500);
        expect(readFileSync(file, 'utf8')).not.toBe(first);
        expect(statSync(file).mode & 0o777).toBe(0o600);
      },
    });
    expect(run.post.exitCode).toBe(0);
    // The refresher's tokens were in the file only, which the post step deleted.
    expectNoLeaks(run, [stored, run.outputs['access-token'] ?? '', run.outputs['refresh-token'] ?? ''], { issued: endpoint.issued.slice(before) });
    // existsSync('') is false: the path must be the session's before its absence proves anything.
    expect(stateDir.startsWith(`${run.runnerTemp}/`)).toBe(true);
    expect(existsSync(stateDir)).toBe(false);
    expect(refreshersOf(stateDir)).toEqual([]);
    const after = await runLaterStep({ workspace: run.workspace, laterStepEnv: { PATH: `${run.path[0]}:/usr/bin:/bin` } }, 'keycloak-token');
    expect(after.exitCode).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toMatch(/^keycloak-token: the session in .* has ended: the Keycloak token action's post step deletes it/);
  });

  it("aws --debug in later steps: the main step's own masks cover the credentials it minted; those credential_process mints later are not covered", async () => {
    // Fresh for 3 s (a short session is refreshed with a quarter of its 60 s left), then credential_process assumes the role again.
    stsLifetimeMs = 18_000;
    const before = endpoint.issued.length;
    const run = await runAction(inputs(role()), {
      betweenSteps: async (main, job) => {
        expect(main.outputs['aws-access-key-id']).toBe('AKID1KEEPFRESH');
        const first = await runLaterStep(job, awsDebug, {}, 'aws --debug, first credentials');
        expect(first.exitCode, first.stderr).toBe(0);
        expect(first.stderr).toContain("'X-Amz-Security-Token': b'Session1Token9Value'");
        await sleep(3_500);
        const renewed = await runLaterStep(job, awsDebug, {}, 'aws --debug, renewed credentials');
        expect(renewed.exitCode, renewed.stderr).toBe(0);
        expect(assumed).toBe(2);
        // keycloak-token registered the new values on its stderr, which botocore kept.
        expect(renewed.stderr).not.toContain('::add-mask::');
        expect(renewed.stderr).toContain("'X-Amz-Security-Token': b'Session2Token9Value'");
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    const minted = endpoint.issued.slice(before);
    // The main step's refresh and role; then credential_process's: a new access token (2 s old ones are stale) and the role again.
    const credentials = ['AccessKeyId', 'SecretAccessKey', 'SessionToken'];
    expect(minted.map((item) => item.kind)).toEqual(['access_token', 'refresh_token', ...credentials, 'access_token', 'refresh_token', ...credentials]);
    expect(minted.slice(0, 5).every((item) => item.at <= run.endedAt)).toBe(true);
    expect(minted.slice(5).every((item) => item.at > run.endedAt)).toBe(true);
    // Covered: the first credentials, minted in the main step and masked by it, show as *** in the first step.
    expect(shownLog(run)).toContain("'X-Amz-Security-Token': b'***', 'Authorization': b'AWS4-HMAC-SHA256 Credential=***/");
    // Not covered, and no action can cover it: credentials minted by credential_process after the main
    // step. Their add-mask went to botocore's pipe, so the runner shows the new session token and key id.
    expect(leaksOf(run, [stored], minted)).toEqual([
      { kind: 'AccessKeyId', step: 'aws --debug, renewed credentials' },
      { kind: 'SessionToken', step: 'aws --debug, renewed credentials' },
    ]);
    expect(shownLog(run)).toContain("'X-Amz-Security-Token': b'Session2Token9Value'");
  });

  it('two keep-fresh invocations in one job: one AWS config file, a profile each, each its own session; post steps in reverse order end both', async () => {
    const second = fakeJwt({ typ: 'Offline', who: 'second' }, 'Second4Stored');
    const stateDirs: string[] = [];
    const run = await runAction(inputs(role()), {
      betweenSteps: async (main, job) => {
        const configFile = job.laterStepEnv.AWS_CONFIG_FILE ?? '';
        expect(configFile.startsWith(`${job.runnerTemp}/`)).toBe(true);
        const other = await job.runAction(inputs(role({ 'aws-profile': 'second', 'refresh-token': second })));
        expect(other.exitCode, other.stdout).toBe(0);
        stateDirs.push(main.state['keep-fresh'] ?? '', other.state['keep-fresh'] ?? '');
        expect(stateDirs.every((dir) => dir.startsWith(`${job.runnerTemp}/`))).toBe(true);
        expect(new Set(stateDirs).size).toBe(2);
        // One file, both profiles, each naming its own session.
        expect(job.laterStepEnv.AWS_CONFIG_FILE).toBe(configFile);
        const config = readFileSync(configFile, 'utf8');
        expect(config.match(/^\[profile (\S+)\]$/gm)).toEqual(['[profile keycloak]', '[profile second]']);
        const sections = config.split(/\n(?=\[)/);
        expect(sections.find((block) => block.startsWith('[profile keycloak]'))).toContain(`"${stateDirs[0]}" aws-credentials`);
        expect(sections.find((block) => block.startsWith('[profile second]'))).toContain(`"${stateDirs[1]}" aws-credentials`);
        // Each profile hands out its own session's credentials.
        const byProfile = async (profile: string) => {
          const step = await runLaterStep(job, `${awsDebug} && keycloak-token aws-credentials >/dev/null`, { AWS_PROFILE: profile }, `aws --debug, profile ${profile}`);
          expect(step.exitCode, step.stderr).toBe(0);
          return /Credential=([^/]+)\//.exec(step.stderr)?.[1];
        };
        expect(await byProfile('keycloak')).toBe(main.outputs['aws-access-key-id']);
        expect(await byProfile('second')).toBe(other.outputs['aws-access-key-id']);
        expect(main.outputs['aws-access-key-id']).not.toBe(other.outputs['aws-access-key-id']);
        // Static keys a step already has win over the profile, as in every AWS SDK.
        const shadowed = await runLaterStep(job, awsDebug, { AWS_ACCESS_KEY_ID: 'AKIASTATIC0EARLIER', AWS_SESSION_TOKEN: '' }, 'aws --debug, static keys');
        expect(shadowed.stdout).toBe('environment\n');
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.others).toHaveLength(1);
    expect(run.log.map((step) => step.name).filter((name) => name.startsWith('main') || name.startsWith('post'))).toEqual(['main', 'main-2', 'post-2', 'post']);
    for (const post of [run.post, run.others[0]?.post]) expect(post?.stdout).toContain('Ended the keep-fresh session');
    for (const dir of stateDirs) {
      expect(dir).not.toBe('');
      expect(existsSync(dir)).toBe(false);
      expect(refreshersOf(dir)).toEqual([]);
    }
    const outputs = [run, run.others[0]?.main].flatMap((step) => ['access-token', 'refresh-token', 'aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'].map((name) => step?.outputs[name] ?? ''));
    expectNoLeaks(run, [stored, second, ...outputs]);
  });

  it('masks a renewed token that holds % exactly: the add-mask data escaped as the runner unescapes it (%25, %0D, %0A)', async () => {
    // OAuth access tokens are any visible ASCII: an opaque one may hold '%', and text that reads as an escape.
    const before = endpoint.issued.length;
    endpoint.respondWith((request, res) => {
      issued++;
      // A digit of its own in every 12 characters: no piece of one token is a piece of the next.
      json(res, 200, { access_token: `Op${issued}aq%25Ac${issued}ce%0AT${issued}ok%0D${issued}en${issued}`, refresh_token: fakeJwt({ typ: 'Offline', n: issued }, `Refresh${issued}X`), expires_in: lifetime, token_type: 'Bearer' });
    });
    let renewed = '';
    const run = await runAction(inputs(), {
      betweenSteps: async (_, job) => {
        await sleep(LIFETIME_S * 1000);
        const step = await runLaterStep(job, 'T=$(keycloak-token) && echo "token: $T"', {}, 'echo the renewed token');
        expect(step.exitCode, step.stderr).toBe(0);
        renewed = step.stdout.replace(/^token: /, '').trim();
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(renewed).toBe('Op2aq%25Ac2ce%0AT2ok%0D2en2');
    // The main step's token went through the toolkit's setSecret, which escapes: covered. The renewed one must be too.
    expect(leaksOf(run, [stored], endpoint.issued.slice(before))).toEqual([]);
    expect(shownLog(run)).toContain('token: ***');
  });
});
