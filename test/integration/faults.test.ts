// Hostile and broken answers from a proxy in front of the real Keycloak, and the
// proof that no fault sequence makes the action present a rotating refresh
// token again after Keycloak may have accepted it.
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import type { StepFailureKind } from '../../src/failure.js';
import { visibleLog } from '../support/leak-check.js';
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

/** Logs in, then runs the action once with the given faults planned. */
async function refreshThrough(faults: Fault[], inputs: Record<string, string> = {}, realm = 'test') {
  const login = user('alice', realm);
  const tokens = await api.login(login);
  const requestsBefore = proxy.requests;
  proxy.plan(faults);
  const run = await runScenario(api, login, tokens, inputs);
  return { run, tokens, requests: proxy.requests - requestsBefore };
}

describe('broken answers', () => {
  it.each<[Fault, StepFailureKind, RegExp]>([
    ['reset-mid-response', 'network', /the connection to 127\.0\.0\.1:\d+ was closed before Keycloak answered \(ECONNRESET\)/],
    ['html-502', 'server-unavailable', /answered HTTP 502 with a non-JSON body \(a proxy or load balancer\?\)/],
    ['html-200', 'unexpected-answer', /answered 200 but the body is not JSON/],
    ['truncated-json', 'unexpected-answer', /answered 200 but the body is not JSON \(cut short/],
    ['json-without-access-token', 'unexpected-answer', /answered 200 without an access_token/],
    ['huge-body', 'unexpected-answer', /larger than 1 MiB/],
    ['redirect-elsewhere', 'unexpected-answer', /answered with a redirect \(HTTP 302 to http:\/\/127\.0\.0\.2:9\/collect\)\. Redirects are not followed/],
    ['reset-before-forward', 'network', /was closed before Keycloak answered/],
  ])('%s: one request, a clear message, exit 1', async (fault, kind, message) => {
    const { run, requests } = await refreshThrough([fault]);
    expectFailure(run, kind, message);
    expect(requests).toBe(1);
  });

  it('stall past the timeout: names the host and the timeout, and does not retry', async () => {
    const { run, requests } = await refreshThrough(['stall'], { 'timeout-seconds': '2' });
    expectFailure(run, 'timeout', /did not answer within 2 s \(timeout-seconds\)/);
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
  // What each sequence must end in, and how often the proxy handed Keycloak the stored token:
  // only faults before Keycloak saw the request are retried.
  const sequences: [Fault[], 'refreshed' | StepFailureKind, number][] = [
    [['reset-mid-response', 'pass'], 'network', 1],
    [['html-502', 'pass'], 'server-unavailable', 1],
    [['truncated-json', 'pass'], 'unexpected-answer', 1],
    [['json-without-access-token', 'pass'], 'unexpected-answer', 1],
    [['stall', 'pass'], 'timeout', 1],
    [['refuse-503', 'reset-mid-response', 'pass'], 'network', 1],
    [['refuse-503', 'refuse-503', 'pass'], 'refreshed', 1],
    // A reset before any answer looks the same as one after Keycloak acted: not retried.
    [['reset-before-forward', 'pass'], 'network', 0],
  ];

  it.each(sequences.map(([faults, outcome, forwarded]) => [faults.join(' → '), faults, outcome, forwarded] as const))('%s', async (_, faults, outcome, forwarded) => {
    const { run, tokens } = await refreshThrough(faults, { retries: '5', 'timeout-seconds': '5' }, 'rotation');
    const presented = proxy.forwardedRefreshTokens.filter((token) => token === tokens.refresh_token);
    expect(presented).toHaveLength(forwarded);
    if (outcome === 'refreshed') {
      expect(run.exitCode, visibleLog(run)).toBe(0);
      expect(run.outputs['refresh-token-rotated']).toBe('true');
    } else {
      expect(run.exitCode, visibleLog(run)).toBe(1);
      expect(run.outputs['failure-kind']).toBe(outcome);
    }
  });

  it('the hazard it guards against: retry-after-send on a rotating realm replays the token and burns it', async () => {
    const { run, tokens } = await refreshThrough(['html-502', 'pass'], { 'retry-after-send': 'true' }, 'rotation');
    expect(proxy.forwardedRefreshTokens.filter((token) => token === tokens.refresh_token)).toHaveLength(2);
    expectFailure(run, 'refresh-token-reused', /"Maximum allowed refresh token reuse exceeded"/);
  });
});
