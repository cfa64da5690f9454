// Real faults around the keycloak-token command, run as later steps against a
// fake Keycloak on loopback that rotates refresh tokens: a lock holder killed
// (SIGKILL) before its request (while it asks the runner for its OIDC token),
// while Keycloak holds its request unprocessed, after Keycloak rotated the
// token, and after the answer reached it but before it wrote the session; lock
// folders without an owner; a token exchange refused after the refresh; and
// Keycloak down (503, or nothing listening) while the token held is valid.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { FakeEndpoint, RecordedRequest } from '../support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from '../support/fake-token-endpoint.js';
import type { LaterStep } from '../support/later-step.js';
import { runLaterStep } from '../support/later-step.js';
import type { StepRun } from '../support/run-action.js';
import { runAction } from '../support/run-action.js';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const stored = fakeJwt({ typ: 'Offline' }, 'Stored0Refresh');

type Hook = (request: RecordedRequest, res: Parameters<Parameters<FakeEndpoint['respondWith']>[0]>[1], issue: () => Record<string, unknown>) => boolean;

/**
 * A Keycloak that takes only the newest refresh token (Revoke Refresh Token) and issues
 * tokens that live `lifetime` seconds. `hook` may take a request over: it returns true then.
 */
async function rotatingKeycloak() {
  const endpoint = await startFakeEndpoint();
  const state = { current: stored, issued: 0, lifetime: 2, presented: [] as string[], hook: undefined as Hook | undefined };
  const issue = () => {
    state.issued++;
    state.current = fakeJwt({ typ: 'Offline', n: state.issued }, `Refresh${state.issued}X`);
    return { access_token: fakeJwt({ azp: 'ceph-s3', n: state.issued }, `Access${state.issued}Y`), refresh_token: state.current, expires_in: state.lifetime, token_type: 'Bearer' };
  };
  endpoint.respondWith((request, res) => {
    if (state.hook?.(request, res, issue)) return;
    // The runner's OIDC endpoint, for client-auth: github-oidc.
    if (request.url.startsWith('/runner-token')) {
      return json(res, 200, { value: fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main', jti: `jti-${endpoint.requests.length}` }, 'Oidc') });
    }
    if (request.form.get('grant_type') === EXCHANGE) {
      return json(res, 200, { access_token: fakeJwt({ azp: 'ceph-s3', aud: ['ceph-s3'], n: state.issued }, `Narrow${state.issued}Z`), expires_in: state.lifetime, token_type: 'Bearer' });
    }
    const presented = request.form.get('refresh_token') ?? '';
    state.presented.push(presented);
    if (presented !== state.current) return json(res, 400, { error: 'invalid_grant', error_description: 'Maximum allowed refresh token reuse exceeded' });
    json(res, 200, issue());
  });
  const refreshes = () => endpoint.requests.filter((r) => r.form.get('grant_type') === 'refresh_token').length;
  return { endpoint, state, refreshes };
}

const inputs = (endpoint: FakeEndpoint, extra: Record<string, string> = {}) => ({
  'keycloak-url': endpoint.baseUrl,
  realm: 'test',
  'client-id': 'ceph-s3',
  'refresh-token': stored,
  'keep-fresh': 'true',
  'revoke-refresh-token': 'true',
  ...extra,
});

const stateDirOf = (main: StepRun) => main.state['keep-fresh'] ?? '';

/** The lock holder's pid from its owner file (JSON with a pid, or, before, the bare pid). */
function holderPid(stateDir: string): number {
  const text = readFileSync(join(stateDir, 'lock', 'owner'), 'utf8').trim();
  return /^\d+$/.test(text) ? Number(text) : (JSON.parse(text) as { pid: number }).pid;
}

async function timed(step: Promise<LaterStep>): Promise<LaterStep & { ms: number }> {
  const start = Date.now();
  const result = await step;
  return { ...result, ms: Date.now() - start };
}

const lines = (text: string) => text.split('\n').filter(Boolean);

/** Runs keycloak-token once the access token of the main step is due, with `hook` taking the first refresh over. */
async function killedHolder(
  hook: (pid: number, res: Parameters<Hook>[1], issue: () => Record<string, unknown>) => void,
  then: (next: LaterStep & { ms: number }, keycloak: Awaited<ReturnType<typeof rotatingKeycloak>>, holderPid: number) => void,
  at: 'refresh' | 'runner-oidc' = 'refresh',
): Promise<void> {
  const keycloak = await rotatingKeycloak();
  const oidc = at === 'runner-oidc';
  try {
    await runAction(inputs(keycloak.endpoint, oidc ? { 'client-auth': 'github-oidc' } : {}), {
      env: oidc ? { ACTIONS_ID_TOKEN_REQUEST_URL: `${keycloak.endpoint.baseUrl}/runner-token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token-0b9c' } : {},
      betweenSteps: async (main, job) => {
        const stateDir = stateDirOf(main);
        await sleep(1_200);
        let killed = 0;
        keycloak.state.hook = (request, res, issue) => {
          if (oidc !== request.url.startsWith('/runner-token')) return false;
          keycloak.state.hook = undefined;
          killed = holderPid(stateDir);
          hook(killed, res, issue);
          return true;
        };
        const holder = await runLaterStep(job, 'keycloak-token');
        expect(holder.exitCode).not.toBe(0);
        expect(holder.stdout).toBe('');
        expect(keycloak.refreshes() - 1).toBe(oidc ? 0 : 1);
        then(await timed(runLaterStep(job, 'keycloak-token')), keycloak, killed);
      },
    });
  } finally {
    await keycloak.endpoint.close();
  }
}

const killedWarning = (pid: number) =>
  new RegExp(`^keycloak-token: the keycloak-token refresh of pid ${pid} \\(\\d+ s ago\\) was killed before it stored its result, so the new refresh token Keycloak may have issued died with it; trying the stored refresh token\\.$`);

describe('keycloak-token: faults', { timeout: 60_000 }, () => {
  it('holder SIGKILLed after writing its marker, before its request (asking the runner for its OIDC token): the next call breaks the lock at once, warns, and refreshes', async () => {
    await killedHolder(
      (pid, res) => {
        process.kill(pid, 'SIGKILL');
        res.destroy();
      },
      (next, keycloak, pid) => {
        expect(next.exitCode, next.stderr).toBe(0);
        const [warning, oidcMask, refreshMask, mask, ...rest] = lines(next.stderr);
        expect(warning).toMatch(killedWarning(pid));
        expect(oidcMask).toMatch(/^::add-mask::/);
        // The refresh token it rotated to, masked as well.
        expect(refreshMask).toBe(`::add-mask::${keycloak.state.current}`);
        expect(mask).toBe(`::add-mask::${next.stdout.trim()}`);
        expect(rest).toEqual([]);
        expect(next.ms).toBeLessThan(5_000);
        // Keycloak never heard of the killed refresh: the stored token still works.
        expect(keycloak.refreshes()).toBe(2);
        expect(keycloak.state.issued).toBe(2);
      },
      'runner-oidc',
    );
  });

  it('holder SIGKILLed while Keycloak holds its refresh unprocessed: the next call breaks the lock at once, warns, and refreshes', async () => {
    await killedHolder(
      (pid, res) => {
        process.kill(pid, 'SIGKILL');
        res.destroy();
      },
      (next, keycloak, pid) => {
        expect(next.exitCode, next.stderr).toBe(0);
        const [warning, refreshMask, mask] = lines(next.stderr);
        expect(warning).toMatch(killedWarning(pid));
        expect(refreshMask).toBe(`::add-mask::${keycloak.state.current}`);
        expect(mask).toBe(`::add-mask::${next.stdout.trim()}`);
        expect(lines(next.stderr)).toHaveLength(3);
        // Taken at once: the owner is dead (a live one would be waited for 25 s).
        expect(next.ms).toBeLessThan(5_000);
        expect(keycloak.refreshes()).toBe(3);
        expect(keycloak.state.issued).toBe(2);
      },
    );
  });

  it('holder SIGKILLed after Keycloak rotated the token, before the answer reached it: the next call warns, and the refusal names the killed refresh', async () => {
    await killedHolder(
      (pid, res, issue) => {
        issue();
        process.kill(pid, 'SIGKILL');
        res.destroy();
      },
      expectKilledRefreshNamed,
    );
  });

  it('holder SIGKILLed after the answer reached it, before it wrote the session: the next call warns, and the refusal names the killed refresh', async () => {
    await killedHolder(
      (pid, res, issue) => {
        // Stopped first: the whole answer lands in its socket, and it never runs again.
        process.kill(pid, 'SIGSTOP');
        res.on('finish', () => process.kill(pid, 'SIGKILL'));
        json(res, 200, issue());
      },
      expectKilledRefreshNamed,
    );
  });

  it('20 callers on a stale token, the answer held until all 20 run and then 1 s more: one request, one token for all', async () => {
    const keycloak = await rotatingKeycloak();
    try {
      await runAction(inputs(keycloak.endpoint), {
        betweenSteps: async (main, job) => {
          const stateDir = stateDirOf(main);
          await sleep(1_200);
          keycloak.state.lifetime = 30;
          let running = 0;
          keycloak.state.hook = (request, res, issue) => {
            keycloak.state.hook = undefined;
            keycloak.state.presented.push(request.form.get('refresh_token') ?? '');
            void (async () => {
              for (let waited = 0; running < 20 && waited < 15_000; waited += 100) {
                running = countProcesses(stateDir);
                await sleep(100);
              }
              await sleep(1_000);
              json(res, 200, issue());
            })();
            return true;
          };
          const calls = await Promise.all(Array.from({ length: 20 }, () => runLaterStep(job, 'keycloak-token')));
          expect(running).toBe(20);
          expect(calls.map((call) => call.exitCode)).toEqual(Array(20).fill(0));
          expect(new Set(calls.map((call) => call.stdout)).size).toBe(1);
          expect(keycloak.refreshes()).toBe(2);
          expect(keycloak.state.presented.at(-1)).not.toBe(stored);
        },
      });
    } finally {
      await keycloak.endpoint.close();
    }
  });

  it('a lock folder without an owner file: broken when older than a few seconds, waited for while fresh', async () => {
    const keycloak = await rotatingKeycloak();
    try {
      // timeout-seconds: 2: before, such a lock was never broken: LockTimeout after 2 x 2 + 5 s.
      await runAction(inputs(keycloak.endpoint, { 'timeout-seconds': '2' }), {
        betweenSteps: async (main, job) => {
          const lockDir = join(stateDirOf(main), 'lock');
          await sleep(1_200);
          mkdirSync(lockDir);
          const aMinuteAgo = new Date(Date.now() - 60_000);
          utimesSync(lockDir, aMinuteAgo, aMinuteAgo);
          const old = await timed(runLaterStep(job, 'keycloak-token'));
          expect(old.exitCode, old.stderr).toBe(0);
          expect(old.ms).toBeLessThan(3_000);
          expect(keycloak.refreshes()).toBe(2);

          await sleep(2_200);
          mkdirSync(lockDir);
          const fresh = timed(runLaterStep(job, 'keycloak-token'));
          await sleep(2_500);
          expect(keycloak.refreshes()).toBe(2);
          const waited = await fresh;
          expect(waited.exitCode, waited.stderr).toBe(0);
          expect(waited.ms).toBeGreaterThan(4_000);
          expect(keycloak.refreshes()).toBe(3);
        },
      });
    } finally {
      await keycloak.endpoint.close();
    }
  });

  it('exchange-only, the token exchange refused after the refresh: the next call presents the NEW refresh token', async () => {
    const keycloak = await rotatingKeycloak();
    try {
      await runAction(inputs(keycloak.endpoint, { 'client-secret': 'Client5Secret', 'exchange-audience': 'ceph-s3', 'exchange-only': 'true' }), {
        betweenSteps: async (_, job) => {
          await sleep(1_200);
          keycloak.state.hook = (request, res) => {
            if (request.form.get('grant_type') !== EXCHANGE) return false;
            keycloak.state.hook = undefined;
            json(res, 400, { error: 'invalid_request', error_description: 'Requested audience not available: ceph-s3' });
            return true;
          };
          const refused = await runLaterStep(job, 'keycloak-token');
          expect(refused.exitCode).toBe(1);
          const rotatedTo = keycloak.state.current;
          // The refresh token it rotated to is masked before anything else is said.
          expect(lines(refused.stderr)).toEqual([`::add-mask::${rotatedTo}`, expect.stringMatching(/^keycloak-token: Keycloak refused the token exchange .*\(failure-kind: audience-not-available\)$/)]);
          const next = await runLaterStep(job, 'keycloak-token');
          expect(next.exitCode, next.stderr).toBe(0);
          expect(keycloak.state.presented.at(-1)).toBe(rotatedTo);
          expect(keycloak.state.presented).toEqual([stored, expect.any(String), rotatedTo]);
          expect(new Set(keycloak.state.presented).size).toBe(3);
        },
      });
    } finally {
      await keycloak.endpoint.close();
    }
  });

  describe('Keycloak down while the token held is valid', () => {
    it.concurrent.each([
      ['answers 503', /answered HTTP 503/, 'server-unavailable'],
      ['is gone: nothing listens on its port', /connection refused \(ECONNREFUSED\)/, 'network'],
    ])('Keycloak %s: the token held is handed out with one warning; once it has expired the call fails in one line', async (how, reason, kind) => {
      const keycloak = await rotatingKeycloak();
      try {
        keycloak.state.lifetime = 20;
        await runAction(inputs(keycloak.endpoint), {
          betweenSteps: async (main, job) => {
            const expiresAt = (JSON.parse(readFileSync(join(stateDirOf(main), 'session.json'), 'utf8')) as { accessExpiresAt: number }).accessExpiresAt;
            if (how === 'answers 503') {
              keycloak.state.hook = (_, res) => {
                res.writeHead(503, { 'Content-Type': 'text/html' }).end('<html>down</html>');
                return true;
              };
            } else {
              await keycloak.endpoint.close();
            }
            // Due for a refresh (a quarter of its life, 5 s, left), still valid for over 2 s.
            await sleep(expiresAt - 4_500 - Date.now());
            const served = await runLaterStep(job, 'keycloak-token');
            expect(served.exitCode, served.stderr).toBe(0);
            expect(served.stdout.trim()).toBe(main.outputs['access-token']);
            const [warning, mask, ...rest] = lines(served.stderr);
            expect(warning).toMatch(reason);
            expect(warning).toMatch(/^keycloak-token: .* Handing out the access token held, valid [234] s more\.$/);
            expect(mask).toBe(`::add-mask::${main.outputs['access-token']}`);
            expect(rest).toEqual([]);

            await sleep(expiresAt + 300 - Date.now());
            const expired = await runLaterStep(job, 'keycloak-token');
            expect(expired.exitCode).toBe(1);
            expect(expired.stdout).toBe('');
            expect(lines(expired.stderr)).toHaveLength(1);
            expect(expired.stderr).toMatch(reason);
            expect(expired.stderr).toMatch(new RegExp(`No valid access token is held to hand out meanwhile\\. \\(failure-kind: ${kind}\\)\\n$`));
          },
        });
      } finally {
        await keycloak.endpoint.close();
      }
    });
  });
});

function expectKilledRefreshNamed(next: LaterStep & { ms: number }, keycloak: Awaited<ReturnType<typeof rotatingKeycloak>>, pid: number): void {
  expect(next.exitCode).toBe(1);
  expect(next.stdout).toBe('');
  const [warning, error, ...rest] = lines(next.stderr);
  expect(warning).toMatch(killedWarning(pid));
  expect(error).toMatch(new RegExp(`^keycloak-token: Most likely cause: the keycloak-token refresh of pid ${pid} \\(\\d+ s ago\\) was killed before it stored its result.*Keycloak refused the refresh \\(400 invalid_grant.*\\(failure-kind: refresh-token-reused\\)$`));
  expect(rest).toEqual([]);
  expect(next.ms).toBeLessThan(5_000);
  // Keycloak saw the old token twice: once from the killed holder, once from the next call.
  expect(keycloak.refreshes()).toBe(3);
  expect(keycloak.state.issued).toBe(2);
}

function countProcesses(stateDir: string): number {
  try {
    return Number(execFileSync('pgrep', ['-fc', stateDir], { encoding: 'utf8' }).trim());
  } catch {
    return 0;
  }
}
