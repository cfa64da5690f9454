import { describe, expect, it } from 'vitest';
import type { KeycloakConnection, KeycloakDeps } from '../../src/keycloak/keycloak-request.js';
import { requestTokens } from '../../src/keycloak/keycloak-request.js';
import { refreshTokenGrant } from '../../src/keycloak/grants/refresh-token.js';
import { KeycloakError } from '../../src/keycloak/keycloak-error.js';
import type { HttpAnswer } from '../../src/transport.js';
import { TransportError } from '../../src/transport.js';
import { testConnection, testTokens } from '../support/keycloak-connection.js';
import { scriptedSend } from '../support/scripted-send.js';

const connection = testConnection();
const { refreshToken } = testTokens();

const ok: HttpAnswer = { status: 200, contentType: 'application/json', body: JSON.stringify({ access_token: 'a', expires_in: 60 }) };
const answer = (status: number, body: unknown = {}, extra: Partial<HttpAnswer> = {}): HttpAnswer => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(body),
  ...extra,
});
const transportFailure = (code: string) => new TransportError(code, 'https://sso.example.com/x', 15_000);

/** A fake clock that sleep advances, so retries never wait. */
function harness(outcomes: (HttpAnswer | TransportError)[], overrides: Partial<KeycloakConnection> = {}) {
  let clock = Date.parse('2026-11-26T10:00:00Z');
  const send = scriptedSend(outcomes);
  const sleeps: number[] = [];
  const notices: string[] = [];
  const deps: KeycloakDeps = {
    send,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    onRetry: ({ attempt, error }) => notices.push(`${attempt}: ${error.kind}`),
  };
  return { send, sleeps, notices, run: () => requestTokens(refreshTokenGrant(refreshToken, undefined), { ...connection, ...overrides }, deps) };
}

describe('requestTokens with the refresh grant', () => {
  it('makes exactly one request and parses the answer', async () => {
    const { send, run } = harness([ok]);
    const result = await run();
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0].url).toBe('https://sso.example.com/realms/test/protocol/openid-connect/token');
    expect(send.mock.calls[0]?.[1]).toBe(15_000);
    expect(result.accessToken).toBe('a');
    expect(result.expiresAt).toEqual(new Date('2026-11-26T10:01:00Z'));
  });

  it('never retries a Keycloak 4xx', async () => {
    const { send, run } = harness([answer(400, { error: 'invalid_grant', error_description: 'Token is not active' }), ok]);
    await expect(run()).rejects.toMatchObject({ kind: 'refresh-token-expired' });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('retries a refused connection with growing, jittered delays, then succeeds', async () => {
    const { send, sleeps, notices, run } = harness([transportFailure('ECONNREFUSED'), transportFailure('ECONNREFUSED'), ok]);
    expect((await run()).accessToken).toBe('a');
    expect(send).toHaveBeenCalledTimes(3);
    expect(sleeps).toEqual([375, 750]);
    expect(notices).toEqual(['1: network', '2: network']);
  });

  it('gives up after the configured retries and says so', async () => {
    const { send, run } = harness([transportFailure('EAI_AGAIN'), transportFailure('EAI_AGAIN'), transportFailure('EAI_AGAIN'), ok]);
    await expect(run()).rejects.toThrow(/\(EAI_AGAIN\).*\(gave up after 3 attempts\)$/);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('does not retry at all with retries 0', async () => {
    const { send, run } = harness([transportFailure('ECONNREFUSED'), ok], { retries: 0 });
    await expect(run()).rejects.toMatchObject({ kind: 'network' });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('honours Retry-After on 503 and 429', async () => {
    const { sleeps, run } = harness([answer(503, {}, { retryAfter: '3' }), answer(429, {}, { retryAfter: '1' }), ok]);
    expect((await run()).accessToken).toBe('a');
    // the larger of Retry-After and the backoff (750 ms for the second retry)
    expect(sleeps).toEqual([3000, 1000]);
  });

  it('stops when the next wait would pass timeout-seconds', async () => {
    const { send, sleeps, run } = harness([answer(503, {}, { retryAfter: '30' }), ok]);
    await expect(run()).rejects.toMatchObject({ kind: 'server-unavailable' });
    expect(send).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it('names timeout-seconds, not what was left of it, when time runs out', async () => {
    // The second attempt had only the 10 s left after the 503's 5 s wait.
    const { run } = harness([answer(503, {}, { retryAfter: '5' }), new TransportError('TIMEOUT', 'https://sso.example.com/x', 10_000)]);
    await expect(run()).rejects.toThrow(/did not answer within 15 s \(timeout-seconds\)/);
  });

  it('gives each attempt only what is left of the budget', async () => {
    const { send, run } = harness([answer(503, {}, { retryAfter: '5' }), ok]);
    await run();
    expect(send.mock.calls.map((call) => call[1])).toEqual([15_000, 10_000]);
  });

  it.each([
    ['a timeout', transportFailure('TIMEOUT')],
    ['a reset', transportFailure('ECONNRESET')],
    ['a 502', answer(502)],
    ['a 504', answer(504)],
    ['a 500', answer(500)],
    ['a 200 cut short', { status: 200, contentType: 'application/json', body: '{"access_to' } as HttpAnswer],
  ])('does not retry %s, which may have used the token up', async (_, outcome) => {
    const { send, run } = harness([outcome, ok]);
    await expect(run()).rejects.toBeInstanceOf(KeycloakError);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['a timeout', transportFailure('TIMEOUT')],
    ['a 502', answer(502)],
    ['a 200 cut short', { status: 200, contentType: 'application/json', body: '{"access_to' } as HttpAnswer],
  ])('retries %s with retry-after-send (rotation known to be off)', async (_, outcome) => {
    const { send, run } = harness([outcome, ok], { retryAfterSend: true });
    expect((await run()).accessToken).toBe('a');
    expect(send).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['an untrusted certificate', transportFailure('SELF_SIGNED_CERT_IN_CHAIN')],
    ['an unknown host', transportFailure('ENOTFOUND')],
    ['a redirect', answer(302, {}, { location: 'https://elsewhere.example.com/' })],
  ])('never retries %s, even with retry-after-send', async (_, outcome) => {
    const { send, run } = harness([outcome, ok], { retryAfterSend: true });
    await expect(run()).rejects.toBeInstanceOf(KeycloakError);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
