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
import { expectNoLeaks, visibleLog } from '../support/leak-check.js';
import { runAction } from '../support/run-action.js';

const LIFETIME_S = 2;
/** expires_in of the next tokens. */
let lifetime = LIFETIME_S;
let endpoint: FakeEndpoint;
let github: FakeGitHubApi;
let issued = 0;
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
  current = undefined;
  lifetime = LIFETIME_S;
  endpoint.respondWith((request, res) => {
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

const inputs = (extra: Record<string, string> = {}) => ({ 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': stored, 'keep-fresh': 'true', ...extra });
const requests = () => endpoint.requests.filter((r) => r.url.endsWith('/token')).length;

describe('keep-fresh: keycloak-token in later steps', { timeout: 60_000 }, () => {
  it('hands out the token while it is fresh, a new one when it is not, masked on stderr', async () => {
    const handedOut: string[] = [];
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
        expect(renewed.stderr).toBe(`::add-mask::${renewed.stdout}\n`);
        handedOut.push(fresh.stdout.trim(), renewed.stdout);
      },
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expectNoLeaks(run, [stored, run.outputs['access-token'] ?? '', run.outputs['refresh-token'] ?? '']);
  });

  it('with audience-only, hands out the token narrowed again after each refresh', async () => {
    const aud = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).aud as string[];
    await runAction(inputs({ 'client-secret': 'Client5Secret', audience: 'ceph-s3', 'audience-only': 'true' }), {
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
    const run = await runAction(inputs({ rotation: 'on', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'github-token': 'ghp_Writer7Token' }), {
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
  });

  it('keeps the token file fresh at the same path, 0600, until the post step; then the command and the refresher are gone', async () => {
    let stateDir = '';
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
    expect(existsSync(stateDir)).toBe(false);
    expect(refreshersOf(stateDir)).toEqual([]);
    const after = await runLaterStep({ workspace: run.workspace, laterStepEnv: { PATH: `${run.path[0]}:/usr/bin:/bin` } }, 'keycloak-token');
    expect(after.exitCode).toBe(1);
    expect(after.stdout).toBe('');
    expect(after.stderr).toMatch(/^keycloak-token: the session in .* has ended: the Keycloak token action's post step deletes it/);
  });
});
