import { describe, expect, it, vi } from 'vitest';
import { obtainTokens } from '../../src/keycloak/obtain-tokens.js';
import type { HttpAnswer } from '../../src/transport.js';
import { TransportError } from '../../src/transport.js';
import { fakeJwt } from '../support/fake-token-endpoint.js';
import { testConnection, testTokens } from '../support/keycloak-connection.js';
import { jsonAnswer, scriptedSend } from '../support/scripted-send.js';

const json = jsonAnswer;
const tokens = json(200, { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 300 });
const dead = json(400, { error: 'invalid_grant', error_description: 'Token is not active' });

function deps(...answers: (HttpAnswer | TransportError)[]) {
  const send = scriptedSend(answers);
  const fallbacks: string[] = [];
  return { send, fallbacks, sleep: async () => undefined, random: () => 0.5, onFallback: (reason: string) => fallbacks.push(reason) };
}
const grantOf = (d: ReturnType<typeof deps>, call: number) => new URLSearchParams(d.send.mock.calls[call]?.[0].body).get('grant_type');
const connection = testConnection();
const withPassword = testTokens({ fallback: 'password', username: 'ci-bot', password: 'bot-password' });

describe('obtainTokens', () => {
  it('logs in with the password when the stored token is dead, and says why', async () => {
    const d = deps(dead, tokens);
    const result = await obtainTokens(withPassword, connection, d);
    expect(result).toMatchObject({ grant: 'password', accessToken: 'new-access', refreshToken: 'new-refresh', rotated: false });
    expect([grantOf(d, 0), grantOf(d, 1)]).toEqual(['refresh_token', 'password']);
    expect(new URLSearchParams(d.send.mock.calls[1]?.[0].body).get('username')).toBe('ci-bot');
    expect(d.fallbacks).toEqual([expect.stringMatching(/^The stored refresh token is dead: Keycloak refused the refresh \(400 invalid_grant: "Token is not active"\)/)]);
  });

  it("asks for the dead token's scope, unless the scope input says otherwise", async () => {
    const stored = fakeJwt({ typ: 'Offline', scope: 'openid offline_access email' });
    const d = deps(dead, tokens);
    await obtainTokens({ ...withPassword, refreshToken: stored }, connection, d);
    expect(new URLSearchParams(d.send.mock.calls[1]?.[0].body).get('scope')).toBe('openid offline_access email');
    const e = deps(dead, tokens);
    await obtainTokens({ ...withPassword, refreshToken: stored, scope: 'openid' }, connection, e);
    expect(new URLSearchParams(e.send.mock.calls[1]?.[0].body).get('scope')).toBe('openid');
  });

  it('logs in directly when no refresh token was given', async () => {
    const d = deps(tokens);
    expect((await obtainTokens({ ...withPassword, refreshToken: '' }, connection, d)).grant).toBe('password');
    expect(d.send).toHaveBeenCalledTimes(1);
    expect(d.fallbacks).toEqual([]);
  });

  it('uses the client credentials grant, which may return no refresh token', async () => {
    const d = deps(dead, json(200, { access_token: 'service-access', expires_in: 300 }));
    const result = await obtainTokens(testTokens({ fallback: 'client-credentials' }), testConnection({ clientSecret: 's' }), d);
    expect(result).toMatchObject({ grant: 'client_credentials', accessToken: 'service-access', refreshToken: '' });
    expect(grantOf(d, 1)).toBe('client_credentials');
  });

  it.each([
    ['a wrong client secret', json(401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' })],
    ['an unknown realm', json(404, { error: 'Realm does not exist' })],
    ['a token of another client', json(400, { error: 'invalid_grant', error_description: "Invalid refresh token. Token client and authorized client don't match" })],
    ['a network failure', new TransportError('ENOTFOUND', 'https://sso.example.com/x', 1000)],
  ])('does not log in around %s', async (_, failure) => {
    const d = deps(failure, tokens);
    await expect(obtainTokens(withPassword, connection, d)).rejects.toThrow();
    expect(d.send).toHaveBeenCalledTimes(1);
    expect(d.fallbacks).toEqual([]);
  });

  it('does nothing but refresh with fallback none', async () => {
    const d = deps(dead, tokens);
    await expect(obtainTokens(testTokens(), connection, d)).rejects.toMatchObject({ kind: 'refresh-token-expired' });
    expect(d.send).toHaveBeenCalledTimes(1);
  });

  it.each([
    [json(400, { error: 'invalid_grant', error_description: 'Invalid user credentials' }), /^Keycloak refused the password login \(fallback: password\) \(400 invalid_grant: "Invalid user credentials"\): the username or password is wrong/],
    [json(400, { error: 'invalid_grant', error_description: 'Account is not fully set up' }), /required actions pending/],
    [json(400, { error: 'unauthorized_client', error_description: 'Client not allowed for direct access grants' }), /enable 'Direct access grants'/],
  ])('explains a failed login in its own terms', async (answer, message) => {
    await expect(obtainTokens(withPassword, connection, deps(dead, answer))).rejects.toThrow(message);
  });
});

describe('obtainTokens with client-auth: github-oidc', () => {
  const tokens = testTokens({ refreshToken: '' });
  const assertions = () => {
    let n = 0;
    return vi.fn(async () => fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main', jti: String(++n) }));
  };
  const oidc = (fetchIdToken: ReturnType<typeof assertions>) =>
    testConnection({ clientAuth: 'github-oidc', oidcAudience: 'https://sso.example.com/realms/test' }, fetchIdToken);
  const formOf = (d: ReturnType<typeof deps>, call: number) => Object.fromEntries(new URLSearchParams(d.send.mock.calls[call]?.[0].body));

  it('gets a service-account token by client_credentials when no refresh token is stored, quietly', async () => {
    const d = deps(json(200, { access_token: fakeJwt({ azp: 'ceph-s3' }), expires_in: 300 }));
    const result = await obtainTokens(tokens, oidc(assertions()), d);
    expect(result).toMatchObject({ grant: 'client_credentials', refreshToken: '' });
    expect(formOf(d, 0)).toEqual({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: expect.any(String),
    });
    expect(d.fallbacks).toEqual([]);
  });

  it('fetches a new OIDC token for every attempt: Keycloak takes each once', async () => {
    const d = deps(json(503, {}), json(200, { access_token: fakeJwt({ azp: 'ceph-s3' }) }));
    const fetchIdToken = assertions();
    await obtainTokens(tokens, oidc(fetchIdToken), d);
    expect(fetchIdToken).toHaveBeenCalledTimes(2);
    expect(formOf(d, 0).client_assertion).not.toBe(formOf(d, 1).client_assertion);
  });

  it('discards tokens Keycloak issued to another client than client-id', async () => {
    const d = deps(json(200, { access_token: fakeJwt({ azp: 'other-client' }) }));
    await expect(obtainTokens(tokens, oidc(assertions()), d)).rejects.toMatchObject({
      kind: 'client-mismatch',
      message: expect.stringMatching(/sub 'repo:acme\/pipeline:ref:refs\/heads\/main'\) as client 'other-client', not 'ceph-s3': the tokens were discarded/),
    });
  });
  it.each([
    ['an opaque access token', 'opaque-lightweight-token'],
    ['a JWT without azp', fakeJwt({ sub: 'service-account-ceph-s3' })],
  ])('discards %s: the client it was issued to cannot be told', async (_, accessToken) => {
    const d = deps(json(200, { access_token: accessToken }));
    await expect(obtainTokens(tokens, oidc(assertions()), d)).rejects.toMatchObject({
      kind: 'client-mismatch',
      message: expect.stringContaining("names no client (not a JWT, or no azp claim), so the action cannot tell whether it was issued to 'ceph-s3': the tokens were discarded"),
    });
  });
});
