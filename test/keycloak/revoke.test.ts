// revokeAll: what the post step sends to Keycloak's RFC 7009 endpoint, and how
// each answer Keycloak (26.4.7 and 26.7.3, measured) or a broken server gives
// becomes one problem, never thrown, never holding a token.
import { describe, expect, it } from 'vitest';
import type { RevokeDeps } from '../../src/keycloak/revoke.js';
import { revokeAll, revokeEndpoint, stillValid } from '../../src/keycloak/revoke.js';
import { TransportError } from '../../src/transport.js';
import { fakeJwt } from '../support/fake-token-endpoint.js';
import { testConnection } from '../support/keycloak-connection.js';
import { jsonAnswer, scriptedSend } from '../support/scripted-send.js';

const NOW = 1_800_000_000_000;
const valid = (n: number) => fakeJwt({ exp: NOW / 1000 + 300, n }, `Access${n}`);
const expired = fakeJwt({ exp: NOW / 1000 - 1 }, 'Expired');
const login = fakeJwt({ typ: 'Refresh', exp: NOW / 1000 + 1800 }, 'Login');
const ok = { status: 200, contentType: '', body: '' };
const deps = (send: RevokeDeps['send'], deadline = NOW + 10_000): RevokeDeps => ({ send, now: () => NOW, deadline });

describe('revokeAll', () => {
  it('revokes each valid access token with its hint, then logs the login out, authenticated as the client', async () => {
    const send = scriptedSend([ok, ok, ok]);
    const connection = testConnection({ clientId: 'ci', clientSecret: 'client-secret-value' });
    const outcome = await revokeAll({ accessTokens: [valid(1), expired, valid(2), valid(1)], logout: login }, connection, deps(send));
    expect(outcome).toEqual({ revoked: 2, expired: 1, loggedOut: true, problem: undefined });
    const forms = send.mock.calls.map(([request]) => new URLSearchParams(request.body));
    expect(send.mock.calls.every(([request]) => request.url === 'https://sso.example.com/realms/test/protocol/openid-connect/revoke')).toBe(true);
    expect(forms.map((form) => [form.get('token'), form.get('token_type_hint'), form.get('client_id'), form.get('client_secret')])).toEqual([
      [valid(1), 'access_token', 'ci', 'client-secret-value'],
      [valid(2), 'access_token', 'ci', 'client-secret-value'],
      [login, 'refresh_token', 'ci', 'client-secret-value'],
    ]);
  });

  it("takes Keycloak's 200 with invalid_token (a token it no longer knows) as done, as RFC 7009 says", async () => {
    const send = scriptedSend([jsonAnswer(200, { error: 'invalid_token', error_description: 'Invalid token' })]);
    expect((await revokeAll({ accessTokens: [valid(1)], logout: undefined }, testConnection(), deps(send))).revoked).toBe(1);
  });

  it.each([
    ['a changed client secret', jsonAnswer(401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' }), 'revocation-refused', /refused the revocation \(401 unauthorized_client: "Invalid client or Invalid client credentials"\): the client may not revoke/],
    ["another client's token", jsonAnswer(400, { error: 'invalid_request', error_description: 'Unmatching clients' }), 'revocation-refused', /400 invalid_request: "Unmatching clients"/],
    ['no revocation endpoint (404)', jsonAnswer(404, { error: 'Protocol not found' }), 'revocation-not-supported', /has no revocation endpoint \(404 Protocol not found at \/realms\/test\/protocol\/openid-connect\/revoke\)/],
    ['no revocation endpoint (405)', jsonAnswer(405, { error: 'HTTP 405 Method Not Allowed' }), 'revocation-not-supported', /without RFC 7009 token revocation/],
    ['a failing proxy', { status: 502, contentType: 'text/html', body: '<html>bad gateway</html>' }, 'server-unavailable', /answered HTTP 502/],
    ['not Keycloak', { status: 403, contentType: 'text/html', body: '<html>no</html>' }, 'unexpected-answer', /not a Keycloak answer/],
  ])('stops at the first refusal: %s', async (_, answer, kind, message) => {
    const send = scriptedSend([ok, answer]);
    const outcome = await revokeAll({ accessTokens: [valid(1), valid(2), valid(3)], logout: login }, testConnection(), deps(send));
    expect(send).toHaveBeenCalledTimes(2);
    expect(outcome).toMatchObject({ revoked: 1, loggedOut: false, problem: { kind, left: 2, logoutLeft: true } });
    expect(outcome.problem?.message).toMatch(message);
  });

  it.each([
    [new TransportError('TIMEOUT', 'https://sso.example.com/x', 2_000), 'timeout', 'Keycloak at sso.example.com did not answer the revocation within 2 s.'],
    [new TransportError('ECONNREFUSED', 'https://sso.example.com/x', 2_000), 'network', 'could not reach Keycloak at sso.example.com to revoke (ECONNREFUSED).'],
  ])('a request without an answer: %s', async (error, kind, message) => {
    const send = scriptedSend([error]);
    const outcome = await revokeAll({ accessTokens: [valid(1), valid(2)], logout: undefined }, testConnection(), deps(send));
    expect(outcome.problem).toEqual({ kind, message, left: 2, logoutLeft: false });
  });

  it('cuts each request to what is left of the budget, and sends nothing once it is spent', async () => {
    const send = scriptedSend([ok]);
    let now = NOW;
    const connection = { ...testConnection(), timeoutMs: 15_000 };
    const outcome = await revokeAll({ accessTokens: [valid(1), valid(2)], logout: undefined }, connection, {
      send: async (request, timeoutMs) => {
        const answer = await send(request, timeoutMs);
        now = NOW + 9_900;
        return answer;
      },
      now: () => now,
      deadline: NOW + 10_000,
    });
    expect(send.mock.calls[0]?.[1]).toBe(10_000);
    expect(outcome).toMatchObject({ revoked: 1, problem: { kind: 'timeout', left: 1 } });
  });

  it('a refused client assertion (client-auth: github-oidc) is a problem too, with nothing sent', async () => {
    const { GitHubOidcError } = await import('../../src/github/oidc-token.js');
    const send = scriptedSend([]);
    const connection = testConnection({ clientAuth: 'github-oidc', oidcAudience: 'https://sso.example.com/realms/test' }, async () => {
      throw new GitHubOidcError("the runner's OIDC endpoint did not answer within 10 s.");
    });
    const outcome = await revokeAll({ accessTokens: [valid(1)], logout: undefined }, connection, deps(send));
    expect(send).not.toHaveBeenCalled();
    expect(outcome.problem).toMatchObject({ kind: 'github-oidc-unavailable', left: 1 });
  });

  it('never names a token, whatever the server echoes', async () => {
    const token = valid(7);
    const { rememberSecret } = await import('../../src/outside-text.js');
    rememberSecret(token);
    const send = scriptedSend([jsonAnswer(400, { error: 'invalid_request', error_description: `bad ${token}` })]);
    const outcome = await revokeAll({ accessTokens: [token], logout: undefined }, testConnection(), deps(send));
    expect(outcome.problem?.message).not.toContain(token.slice(10, 40));
  });
});

describe('the rest', () => {
  it('builds the endpoint from keycloak-url, /auth kept', () => {
    expect(revokeEndpoint('https://sso.example.com/auth', 'ci')).toBe('https://sso.example.com/auth/realms/ci/protocol/openid-connect/revoke');
  });

  it('counts a token without a readable exp as still valid', () => {
    expect(stillValid('opaque-token', NOW)).toBe(true);
    expect(stillValid(expired, NOW)).toBe(false);
  });
});
