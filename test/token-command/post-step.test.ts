// keep-fresh's post step and set-up as the runner runs them: a failed store
// says what it left and deletes the session and token file anyway; a
// RUNNER_TEMP the AWS profile cannot name fails the step before any request.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';
import type { FakeEndpoint } from '../support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from '../support/fake-token-endpoint.js';
import { runLaterStep } from '../support/later-step.js';
import { expectNoLeaks, visibleLog } from '../support/leak-check.js';
import { runAction } from '../support/run-action.js';

let endpoint: FakeEndpoint;
let github: FakeGitHubApi;
let issued = 0;
/** How long Keycloak takes to answer a refresh. */
let delayMs = 0;
const stored = fakeJwt({ typ: 'Offline' }, 'Stored0Refresh');
const SECRET_PATH = '/repos/acme/pipeline/actions/secrets/KEYCLOAK_REFRESH_TOKEN';

beforeAll(async () => {
  endpoint = await startFakeEndpoint();
  github = await startFakeGitHubApi();
  endpoint.respondWith((_, res) => {
    // Rotated as the request arrives, as Keycloak does: the answer may still be lost.
    const n = ++issued;
    const answer = () => json(res, 200, { access_token: fakeJwt({ azp: 'ceph-s3', n }, `Access${n}Y`), refresh_token: fakeJwt({ typ: 'Offline', n }, `Refresh${n}X`), expires_in: 1, token_type: 'Bearer' });
    if (delayMs === 0) answer();
    else setTimeout(answer, delayMs);
  });
});
afterAll(async () => {
  await endpoint.close();
  await github.close();
});
beforeEach(() => {
  issued = 0;
  delayMs = 0;
  github.failWith(undefined);
  github.stored.clear();
  github.requests.length = 0;
  endpoint.requests.length = 0;
});

const inputs = (extra: Record<string, string> = {}) => ({
  'keycloak-url': endpoint.baseUrl,
  realm: 'test',
  'client-id': 'ceph-s3',
  'refresh-token': stored,
  'keep-fresh': 'true',
  'revoke-refresh-token': 'true',
  'update-secret': 'KEYCLOAK_REFRESH_TOKEN',
  'update-secret-token': 'ghp_Writer7Token',
  'token-file': 'true',
  ...extra,
});

describe('the post step stores the newest refresh token, or says truthfully that it could not', { timeout: 60_000 }, () => {
  it('with GitHub down: tries again, fails in one line that points to no output, and leaves no session or token file', async () => {
    let stateDir = '';
    let tokenFile = '';
    const run = await runAction(inputs(), {
      env: { GITHUB_API_URL: github.url },
      betweenSteps: async (main, job) => {
        stateDir = main.state['keep-fresh'] ?? '';
        tokenFile = main.outputs['access-token-file'] ?? '';
        await sleep(1_100);
        const step = await runLaterStep(job, 'keycloak-token');
        expect(step.exitCode, step.stderr).toBe(0);
        github.requests.length = 0;
        github.failWith(503);
      },
    });
    // The background refresher (token-file) refreshes too, until the post step stops it.
    const newest = fakeJwt({ typ: 'Offline', n: issued }, `Refresh${issued}X`);
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.post.exitCode).toBe(1);
    const errors = run.post.commands.filter((command) => command.name === 'error').map((command) => command.data);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^Could not store the new refresh token in secret KEYCLOAK_REFRESH_TOKEN \(acme\/pipeline\): GitHub answered HTTP 503 to GET \(3 attempts\)\. The secret still holds a refresh token that Keycloak has rotated away from/);
    expect(errors[0]).toMatch(/log in again/);
    expect(errors[0]).not.toMatch(/output/);
    expect(github.requests.filter((request) => request.method === 'GET')).toHaveLength(3);
    expect(existsSync(stateDir)).toBe(false);
    expect(existsSync(tokenFile)).toBe(false);
    expectNoLeaks(run, [stored, 'ghp_Writer7Token']);
    // Rotated to by later steps and the refresher, so never masked in the main step's log: in no line at all.
    for (const step of [run, run.post]) expect(step.stdout + step.stderr).not.toContain(newest.slice(-20));
  });

  it('waits for a refresh under way and stores the token it brought, not the one it used up', async () => {
    const run = await runAction(inputs(), {
      env: { GITHUB_API_URL: github.url },
      betweenSteps: async () => {
        // The refresher keeps the token file fresh: the post step starts while its refresh is answered slowly.
        delayMs = 1_500;
        const before = endpoint.requests.length;
        while (endpoint.requests.length === before) await sleep(20);
      },
    });
    expect(run.post.exitCode, visibleLog(run)).toBe(0);
    expect(issued).toBeGreaterThanOrEqual(2);
    expect(github.stored.get(SECRET_PATH)).toBe(fakeJwt({ typ: 'Offline', n: issued }, `Refresh${issued}X`));
  });
});

describe('keep-fresh refuses a RUNNER_TEMP it cannot name in the AWS profile', { timeout: 60_000 }, () => {
  it('fails before any request, naming RUNNER_TEMP in one line', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'runner-temp-'));
    const runnerTemp = join(parent, 'te"mp');
    mkdirSync(runnerTemp);
    try {
      const run = await runAction(inputs({ 'update-secret': '', 'update-secret-token': '', 'revoke-refresh-token': 'false', 'token-file': 'false' }), { env: { RUNNER_TEMP: runnerTemp } });
      expect(run.exitCode).toBe(1);
      const errors = run.commands.filter((command) => command.name === 'error').map((command) => command.data);
      expect(errors, visibleLog(run)).toEqual([expect.stringMatching(/^Input 'keep-fresh' cannot work here: RUNNER_TEMP .* holds a double quote/)]);
      expect(endpoint.requests).toHaveLength(0);
      expect(readdirSync(runnerTemp)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
