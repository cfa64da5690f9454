// Hostile and broken answers from a proxy in front of the real Keycloak, and the
// proof that no fault sequence makes the action present a rotating refresh
// token again after Keycloak may have accepted it.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import { NODE_24 } from '../support/run-action.js';
import type { Fault, FaultProxy } from './support/fault-proxy.js';
import { startFaultProxy } from './support/fault-proxy.js';
import { KeycloakApi } from './support/keycloak-api.js';
import { expectFailure, runScenario, user } from './support/scenario.js';

let proxy: FaultProxy;
let api: KeycloakApi;
beforeAll(async () => {
  proxy = await startFaultProxy(inject('keycloakUrl'));
  // Logins go through the proxy too, so the tokens' issuer is the proxy's URL.
  api = new KeycloakApi(proxy.url);
});
afterAll(() => proxy.close());
beforeEach(() => {
  proxy.plan([]);
  proxy.forwardedRefreshTokens.length = 0;
});
const node = NODE_24;

/** Logs in, then runs the action once with the given faults planned. */
async function refreshThrough(faults: Fault[], inputs: Record<string, string> = {}, realm = 'test') {
  const login = user('alice', realm);
  const tokens = await api.login(login);
  const requestsBefore = proxy.requests;
  proxy.plan(faults);
  const run = await runScenario(api, login, tokens, inputs, { node });
  return { run, tokens, requests: proxy.requests - requestsBefore };
}

describe('broken answers', () => {
  it.each<[Fault, RegExp]>([
    ['reset-mid-response', /the connection to 127\.0\.0\.1:\d+ was closed before Keycloak answered \(ECONNRESET\)/],
    ['html-502', /answered HTTP 502 with a non-JSON body \(a proxy or load balancer\?\)/],
    ['html-200', /answered 200 but the body is not JSON/],
    ['truncated-json', /answered 200 but the body is not JSON \(cut short/],
    ['json-without-access-token', /answered 200 without an access_token/],
    ['huge-body', /larger than 1 MiB/],
    ['redirect-elsewhere', /answered with a redirect \(HTTP 302 to http:\/\/127\.0\.0\.2:9\/collect\)\. Redirects are not followed/],
    ['reset-before-forward', /was closed before Keycloak answered/],
  ])('%s: one request, a clear message, exit 1', async (fault, message) => {
    const { run, requests } = await refreshThrough([fault]);
    expectFailure(run, message);
    expect(requests).toBe(1);
  });

  it('stall past the timeout: names the host and the timeout, and does not retry', async () => {
    const { run, requests } = await refreshThrough(['stall'], { 'timeout-seconds': '2' });
    expectFailure(run, /did not answer within 2 s \(timeout-seconds\)/);
    expect(requests).toBe(1);
  });

  it('503 before Keycloak: retried after Retry-After, then refreshed', async () => {
    const { run, requests } = await refreshThrough(['refuse-503', 'refuse-503']);
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(requests).toBe(3);
    expect(visibleLog(run)).toMatch(/Attempt 1 failed: .*HTTP 503.* Retrying in 1\.0 s\./);
    expect((await api.userinfoStatus('test', run.outputs['access-token'] ?? '')).status).toBe(200);
  });

  it('with retry-after-send, a lost answer is retried (rotation off: the token still works)', async () => {
    const { run, requests } = await refreshThrough(['html-502'], { 'retry-after-send': 'true' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(requests).toBe(2);
  });
});

describe('with rotation on, no fault sequence presents a token twice', () => {
  const sequences: Fault[][] = [
    ['reset-mid-response', 'pass'],
    ['html-502', 'pass'],
    ['truncated-json', 'pass'],
    ['json-without-access-token', 'pass'],
    ['stall', 'pass'],
    ['refuse-503', 'reset-mid-response', 'pass'],
    ['refuse-503', 'refuse-503', 'pass'],
    ['reset-before-forward', 'pass'],
  ];

  it.each(sequences.map((faults) => [faults.join(' → '), faults] as const))('%s', async (_, faults) => {
    const { run, tokens } = await refreshThrough(faults, { retries: '5', 'timeout-seconds': '5' }, 'rotation');
    const presented = proxy.forwardedRefreshTokens.filter((token) => token === tokens.refresh_token);
    expect(presented.length).toBeLessThanOrEqual(1);
    // Either it worked, or it failed without a second try of the (maybe) used-up token.
    if (run.exitCode === 0) expect(run.outputs['refresh-token-rotated']).toBe('true');
    else expect(run.exitCode).toBe(1);
  });

  it('the hazard it guards against: retry-after-send on a rotating realm replays the token and burns it', async () => {
    const { run, tokens } = await refreshThrough(['html-502', 'pass'], { 'retry-after-send': 'true' }, 'rotation');
    expect(proxy.forwardedRefreshTokens.filter((token) => token === tokens.refresh_token)).toHaveLength(2);
    expectFailure(run, /"Maximum allowed refresh token reuse exceeded"/);
  });
});
