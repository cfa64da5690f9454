import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/keycloak/check.js';
import { checkToken, judge } from '../../src/keycloak/check.js';
import { KeycloakError } from '../../src/keycloak/keycloak-error.js';
import type { HttpAnswer } from '../../src/transport.js';
import { TransportError } from '../../src/transport.js';
import { fakeJwt } from '../support/fake-token-endpoint.js';
import { testConnection, testTokens } from '../support/keycloak-connection.js';
import { jsonAnswer, scriptedSend } from '../support/scripted-send.js';

const now = Date.parse('2026-11-26T10:00:00Z');
const json = jsonAnswer;
const deps = (...answers: (HttpAnswer | TransportError)[]) => ({
  send: scriptedSend(answers),
  now: () => now,
  sleep: async () => undefined,
  random: () => 0.5,
});
const { refreshToken } = testTokens();
const confidential = testConnection({ clientSecret: 's' });
const introspecting = { method: 'introspect', refreshToken, scope: undefined } as const;
const refreshing = { method: 'refresh', refreshToken, scope: undefined } as const;

describe('checkToken by introspection', () => {
  it('reads what Keycloak says about the token, and uses it up nowhere', async () => {
    const d = deps(json(200, { active: true, typ: 'Offline', azp: 'ci', iat: now / 1000 - 60, exp: now / 1000 + 3600, email: 'private@x' }));
    const result = await checkToken(introspecting, confidential, d);
    expect(result).toEqual({
      method: 'introspect',
      active: true,
      kind: 'Offline',
      client: 'ci',
      issuedAt: new Date(now - 60_000),
      expiresAt: new Date(now + 3_600_000),
      inactiveReason: undefined,
      inactiveKind: undefined,
      refreshed: undefined,
    });
    expect(d.send.mock.calls[0]?.[0].url).toMatch(/\/token\/introspect$/);
    expect(Object.fromEntries(new URLSearchParams(d.send.mock.calls[0]?.[0].body))).toEqual({
      token: introspecting.refreshToken,
      token_type_hint: 'refresh_token',
      client_id: 'ceph-s3',
      client_secret: 's',
    });
  });

  it("falls back to the stored token's own claims when the answer has no exp or typ", async () => {
    const stored = fakeJwt({ typ: 'Offline', azp: 'ci', iat: now / 1000 - 60, exp: now / 1000 + 7200 });
    const result = await checkToken({ ...introspecting, refreshToken: stored }, confidential, deps(json(200, { active: true })));
    expect(result).toMatchObject({ active: true, kind: 'Offline', client: 'ci', expiresAt: new Date(now + 7_200_000) });
    expect(judge(result, { minValiditySeconds: undefined, warnValiditySeconds: undefined }, new Date(now)).message).toMatch(/expires in 2h/);
  });

  it('reports an inactive token without failing the request', async () => {
    expect((await checkToken(introspecting, confidential, deps(json(200, { active: false })))).active).toBe(false);
  });

  it('retries a lost answer: introspection cannot burn the token', async () => {
    const d = deps(new TransportError('ECONNRESET', 'https://x', 1000), json(200, { active: true }));
    expect((await checkToken(introspecting, confidential, d)).active).toBe(true);
    expect(d.send).toHaveBeenCalledTimes(2);
  });

  it.each([
    ['not JSON', { status: 200, contentType: 'text/html', body: '<html>' }, 'not JSON'],
    ['no "active"', json(200, { exp: 1 }), 'without "active"'],
    ['a wrong secret', json(401, { error: 'invalid_client', error_description: 'Client authentication failed.' }), 'client secret'],
  ])('fails on %s', async (_, answer, message) => {
    await expect(checkToken(introspecting, confidential, deps(answer))).rejects.toThrow(message);
  });
});

describe('checkToken by refresh', () => {
  it('proves the token by using it, and hands over the new tokens', async () => {
    const newToken = fakeJwt({ typ: 'Refresh', exp: now / 1000 + 1800 });
    const result = await checkToken(refreshing, testConnection(), deps(json(200, { access_token: 'a', refresh_token: newToken, refresh_expires_in: 1800 })));
    expect(result).toMatchObject({ method: 'refresh', active: true, kind: 'Refresh', expiresAt: new Date(now + 1_800_000) });
    expect(result.refreshed?.refreshToken).toBe(newToken);
  });

  it('calls a dead token inactive, with Keycloak\'s reason', async () => {
    const result = await checkToken(refreshing, testConnection(), deps(json(400, { error: 'invalid_grant', error_description: 'Session not active' })));
    expect(result.active).toBe(false);
    expect(result.inactiveReason).toContain('Session not active');
    expect(judge(result, { minValiditySeconds: undefined, warnValiditySeconds: undefined }, new Date(now))).toMatchObject({ level: 'failure', failureKind: 'session-ended' });
  });

  it('fails, rather than calling the token dead, on a wrong setting', async () => {
    await expect(checkToken(refreshing, testConnection(), deps(json(404, { error: 'Realm does not exist' })))).rejects.toBeInstanceOf(KeycloakError);
  });
});

describe('judge', () => {
  const active = (expiresInSeconds: number | undefined, method: 'introspect' | 'refresh' = 'introspect'): CheckResult => ({
    method,
    active: true,
    kind: 'Offline',
    client: 'ci',
    issuedAt: undefined,
    expiresAt: expiresInSeconds === undefined ? undefined : new Date(now + expiresInSeconds * 1000),
    inactiveReason: undefined,
    inactiveKind: undefined,
    refreshed: undefined,
  });
  const thresholds = { minValiditySeconds: 86_400, warnValiditySeconds: 7 * 86_400 };

  it.each([
    [30 * 86_400, 'ok', true, /is active and expires in 30d \(2026-12-26T10:00:00Z\)\.$/],
    [3 * 86_400, 'warning', true, /expires in 3d .*less than warn-validity \(7d\)/],
    [3600, 'failure', false, /expires in 1h .*less than min-validity \(1d\)\. Log in again/],
    [0, 'failure', false, /expires in 0s/],
  ] as const)('%i s left: %s', (seconds, level, valid, message) => {
    const verdict = judge(active(seconds), thresholds, new Date(now));
    expect(verdict).toMatchObject({ level, valid, remainingSeconds: seconds });
    expect(verdict.message).toMatch(message);
  });

  it('passes a token without expiry, saying the server-side idle limit still applies', () => {
    expect(judge(active(undefined), thresholds, new Date(now))).toMatchObject({ level: 'ok', valid: true, remainingSeconds: undefined });
    expect(judge(active(undefined), thresholds, new Date(now)).message).toContain('introspection does not reset it');
    expect(judge(active(undefined, 'refresh'), thresholds, new Date(now)).message).toContain('this refresh has just reset it');
  });

  it('fails a dead token whatever the thresholds', () => {
    const dead: CheckResult = { ...active(undefined), active: false };
    expect(judge(dead, { minValiditySeconds: undefined, warnValiditySeconds: undefined }, new Date(now))).toMatchObject({ level: 'failure', valid: false });
    expect(judge(dead, { minValiditySeconds: undefined, warnValiditySeconds: undefined }, new Date(now)).message).toMatch(/^The stored refresh token is dead\. Keycloak's introspection says/);
  });
});
