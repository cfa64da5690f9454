import { describe, expect, it } from 'vitest';
import type { FailureKind, KeycloakErrorContext } from '../../src/keycloak/keycloak-error.js';
import { classifyAnswer, classifyTransportError, isDeadToken, parseRetryAfter } from '../../src/keycloak/keycloak-error.js';
import { TransportError } from '../../src/transport.js';

const context: KeycloakErrorContext = {
  attempted: 'the refresh',
  tokenUrl: 'https://sso.example.com/realms/test/protocol/openid-connect/token',
  realm: 'test',
  clientId: 'ceph-s3',
  assertion: undefined,
  tokenIssuer: 'https://sso.example.com/realms/test',
  realmUrl: 'https://sso.example.com/realms/test',
  rotation: 'off',
};

const jsonAnswer = (status: number, body: unknown) => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify(body),
});
const oauth = (status: number, error: string, description?: string) =>
  jsonAnswer(status, description === undefined ? { error } : { error, error_description: description });

// One row for each row of ../shared/docs/keycloak-facts.md, "Error bodies".
const rows: [string, ReturnType<typeof jsonAnswer>, FailureKind, string][] = [
  ['expired refresh token', oauth(400, 'invalid_grant', 'Token is not active'), 'refresh-token-expired', 'has expired'],
  ['user session gone', oauth(400, 'invalid_grant', 'Session not active'), 'session-ended', 'session behind the refresh token has ended'],
  ['offline session gone', oauth(400, 'invalid_grant', 'Offline session not active'), 'session-ended', 'has ended'],
  ['offline session not found', oauth(400, 'invalid_grant', 'Offline user session not found'), 'session-ended', 'has ended'],
  ['not-before revocation, revoke-refresh-token: false', oauth(400, 'invalid_grant', 'Stale token'), 'refresh-token-reused', 'an admin pushed a not-before revocation for the realm or client; or, if the realm revokes refresh tokens'],
  ['rotation replay', oauth(400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded'), 'refresh-token-reused', 'presenting it again revoked its whole chain'],
  ['client gone from the session, revoke-refresh-token: false', oauth(400, 'invalid_grant', "Session doesn't have required client"), 'session-ended', 'if the realm revokes refresh tokens, a used one was presented again (then set revoke-refresh-token: true'],
  ['garbage token', oauth(400, 'invalid_grant', 'Invalid refresh token'), 'refresh-token-invalid', "not a refresh token of realm 'test'"],
  ['token of another client', oauth(400, 'invalid_grant', "Invalid refresh token. Token client and authorized client don't match"), 'refresh-token-wrong-client', "not to 'ceph-s3'"],
  ['token from another URL', oauth(400, 'invalid_grant', 'Invalid token issuer. Expected https://a/realms/test'), 'refresh-token-wrong-issuer', 'same scheme, host, port and path'],
  ['user disabled', oauth(400, 'invalid_grant', 'User disabled'), 'user-disabled', 'is disabled'],
  ['unknown invalid_grant text', oauth(400, 'invalid_grant', 'Something new'), 'refresh-rejected', 'cannot be used'],
  ['unknown client', oauth(401, 'invalid_client', 'Invalid client or Invalid client credentials'), 'client-unknown', "no enabled client 'ceph-s3'"],
  ['missing client_id', oauth(400, 'invalid_client', 'Missing client_id parameter'), 'client-unknown', 'Check client-id'],
  ['wrong client secret', oauth(401, 'unauthorized_client', 'Invalid client or Invalid client credentials'), 'client-secret-rejected', 'client secret'],
  ['wrong client secret, as introspection says it', oauth(401, 'invalid_client', 'Client authentication failed.'), 'client-secret-rejected', 'client secret'],
  ['unknown realm', oauth(404, 'Realm does not exist'), 'realm-unknown', "realm 'test' does not exist"],
  ['missing /auth prefix', { status: 404, contentType: 'text/html', body: '<html>Not Found</html>' }, 'endpoint-not-found', "needs '/auth' at the end of keycloak-url"],
  ['/auth on a modern server', oauth(404, 'Unable to find matching target resource method'), 'endpoint-not-found', "try keycloak-url without '/auth'"],
  ['proxy 502 HTML', { status: 502, contentType: 'text/html', body: '<html>Bad Gateway</html>' }, 'server-unavailable', 'non-JSON body'],
  ['503 JSON', oauth(503, 'temporarily_unavailable'), 'server-unavailable', 'Try again later'],
  ['200-range nonsense on 400', { status: 400, contentType: 'text/plain', body: 'nope' }, 'unexpected-answer', 'text/plain'],
  ['redirect', { status: 302, contentType: '', body: '', location: 'https://login.example.com/sso?token=x' } as never, 'unexpected-answer', 'https://login.example.com/sso)'],
  ['login: wrong password', oauth(400, 'invalid_grant', 'Invalid user credentials'), 'login-rejected', 'the username or password is wrong'],
  ['login: required actions', oauth(400, 'invalid_grant', 'Account is not fully set up'), 'login-rejected', 'required actions pending'],
  ['login: user disabled', oauth(400, 'invalid_grant', 'Account disabled'), 'user-disabled', 'the user is disabled'],
  ['login: no direct access grants', oauth(400, 'unauthorized_client', 'Client not allowed for direct access grants'), 'request-rejected', "enable 'Direct access grants'"],
  ['login: no service account', oauth(401, 'unauthorized_client', 'Client not enabled to retrieve service account'), 'request-rejected', "enable 'Service accounts roles'"],
  ['other OAuth error', oauth(400, 'invalid_request', 'Some other refusal'), 'request-rejected', 'did not accept'],
  ['a scope the client does not have', oauth(400, 'invalid_scope', 'Invalid scopes: admin'), 'scope-rejected', 'not default or optional client scopes'],
  // Standard token exchange (audience), as 26.4.7 and 26.7.3 answer.
  ['exchange: switch off', oauth(400, 'invalid_request', 'Standard token exchange is not enabled for the requested client'), 'exchange-not-enabled', "turn on 'Standard token exchange'"],
  ['exchange: audience not available', oauth(400, 'invalid_request', 'Requested audience not available: ceph-s3'), 'audience-not-available', "add an Audience mapper for 'ceph-s3'"],
  ['exchange: no such client', oauth(400, 'invalid_client', 'Audience not found'), 'audience-not-found', 'does not have'],
  ['exchange: public client', oauth(400, 'invalid_client', 'Public client is not allowed to exchange token'), 'exchange-public-client', 'only confidential clients'],
];

describe('classifyAnswer', () => {
  it.each(rows)('%s', (_, answer, kind, hint) => {
    const tokenUrl = hint.includes('without') ? context.tokenUrl.replace('/realms/', '/auth/realms/') : context.tokenUrl;
    const error = classifyAnswer(answer, { ...context, tokenUrl });
    expect(error.kind).toBe(kind);
    expect(error.status).toBe(answer.status);
    expect(error.message).toContain(hint);
    expect(error.message).not.toContain('\n');
  });

  it("quotes Keycloak's error and description", () => {
    expect(classifyAnswer(oauth(400, 'invalid_grant', 'Token is not active'), context).message).toMatch(
      /^Keycloak refused the refresh \(400 invalid_grant: "Token is not active"\): /,
    );
  });

  it('names what Keycloak refused', () => {
    const error = classifyAnswer(oauth(401, 'invalid_client', 'Client authentication failed.'), { ...context, attempted: 'the introspection' });
    expect(error.message).toMatch(/^Keycloak refused the introspection \(401 invalid_client: "Client authentication failed\."\): the client secret/);
  });

  it('blames the URL when the token was issued elsewhere', () => {
    const error = classifyAnswer(oauth(400, 'invalid_grant', 'Invalid refresh token'), {
      ...context,
      tokenIssuer: 'http://localhost:8080/realms/test',
      realmUrl: 'http://127.0.0.1:8080/realms/test',
    });
    expect(error.kind).toBe('refresh-token-wrong-issuer');
    expect(error.message).toContain('issued by http://localhost:8080/realms/test');
  });

  it('never repeats anything of a body but error and a shortened description', () => {
    const body = { error: 'invalid_grant', error_description: `x${'y'.repeat(500)}\nline two`, access_token: 'leaked?' };
    const error = classifyAnswer(jsonAnswer(400, body), context);
    expect(error.message).not.toContain('leaked?');
    expect(error.message).not.toContain('line two'.repeat(2));
    expect(error.message.length).toBeLessThan(600);
    expect(error.message).not.toContain('\n');
  });
});

// What the losers of a parallel refresh of one rotating token get (max reuse 0, measured on
// 26.4.7 and 26.7.3), and the older generation's answer when max reuse is above 0.
describe('a rotating token shared by parallel jobs', () => {
  const rotating = { ...context, rotation: 'on' as const };
  it.each(['Maximum allowed refresh token reuse exceeded', "Session doesn't have required client", 'Stale token'])('%s: refresh-token-reused, the cause and the three ways out, shortest first', (description) => {
    const error = classifyAnswer(oauth(400, 'invalid_grant', description), rotating);
    expect(error.kind).toBe('refresh-token-reused');
    expect(isDeadToken(error)).toBe(true);
    expect(error.message).toContain('Likely cause: parallel jobs (a matrix, or workflows that run at once) shared one rotating token');
    const ways = ["Refresh Token Max Reuse to at least the number of parallel jobs minus 1", 'strategy.max-parallel: 1, or a concurrency: group', 'client-auth: github-oidc, which shares no token'];
    const at = ways.map((way) => error.message.indexOf(way));
    expect(at.every((index) => index > 0)).toBe(true);
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(error.message).toContain('the newest included. Log in again');
  });

  it("names the other cause of \"Session doesn't have required client\", which Keycloak answers alike", () => {
    const error = classifyAnswer(oauth(400, 'invalid_grant', "Session doesn't have required client"), rotating);
    expect(error.message).toContain("the client's offline session idle timeout ran out");
  });

  it('keeps the other session answers as session-ended with revoke-refresh-token: true', () => {
    expect(classifyAnswer(oauth(400, 'invalid_grant', 'Session not active'), rotating).kind).toBe('session-ended');
    expect(classifyAnswer(oauth(400, 'invalid_grant', 'Offline user session not found'), rotating).kind).toBe('session-ended');
  });
});

describe('classifyTransportError', () => {
  const url = 'https://sso.example.com:8443/realms/test/protocol/openid-connect/token';
  it.each([
    ['ECONNREFUSED', 'network', 'connection refused'],
    ['ENOTFOUND', 'network', 'could not resolve the host sso.example.com:8443'],
    ['ECONNRESET', 'network', 'retried only with retry-after-send'],
    ['TIMEOUT', 'timeout', 'within 2.5 s (timeout-seconds)'],
    ['BODY_TOO_LARGE', 'unexpected-answer', 'larger than 1 MiB'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'network', 'give its PEM as ca-certificate'],
    ['EWHATEVER', 'network', '(EWHATEVER)'],
  ])('%s', (code, kind, hint) => {
    const error = classifyTransportError(new TransportError(code, url, 2500));
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(hint);
    expect(error.message).toContain('sso.example.com:8443');
  });
});

describe('isDeadToken', () => {
  it.each([
    ['Token is not active', true],
    ['Session not active', true],
    ["Session doesn't have required client", true],
    ['Stale token', true],
    ['Maximum allowed refresh token reuse exceeded', true],
    ['Invalid refresh token', true],
    ['User disabled', true],
    ["Invalid refresh token. Token client and authorized client don't match", false],
    ['Invalid token issuer. Expected x', false],
  ])('invalid_grant %j: %s', (description, dead) => {
    expect(isDeadToken(classifyAnswer(oauth(400, 'invalid_grant', description), context))).toBe(dead);
  });

  it('is false for a wrong secret, an unknown realm, another OAuth error and a network failure', () => {
    expect(isDeadToken(classifyAnswer(oauth(400, 'invalid_scope', 'Invalid scopes'), context))).toBe(false);
    expect(isDeadToken(classifyAnswer(oauth(401, 'unauthorized_client'), context))).toBe(false);
    expect(isDeadToken(classifyAnswer(oauth(404, 'Realm does not exist'), context))).toBe(false);
    expect(isDeadToken(classifyTransportError(new TransportError('ECONNREFUSED', context.tokenUrl, 1000)))).toBe(false);
  });
});

describe('retry classes', () => {
  it.each([
    [503, 'not-processed'],
    [429, 'not-processed'],
    [502, 'maybe-processed'],
    [504, 'maybe-processed'],
    [500, 'maybe-processed'],
    [400, 'final'],
    [401, 'final'],
    [404, 'final'],
  ])('HTTP %i is %s', (status, retry) => {
    expect(classifyAnswer(oauth(status, 'x'), context).retry).toBe(retry);
  });

  it.each([
    ['ECONNREFUSED', 'not-processed'],
    ['EAI_AGAIN', 'not-processed'],
    ['EHOSTUNREACH', 'not-processed'],
    ['ECONNRESET', 'maybe-processed'],
    ['TIMEOUT', 'maybe-processed'],
    ['ENOTFOUND', 'final'],
    ['CERT_HAS_EXPIRED', 'final'],
    ['BODY_TOO_LARGE', 'final'],
  ])('%s is %s', (code, retry) => {
    expect(classifyTransportError(new TransportError(code, context.tokenUrl, 1000)).retry).toBe(retry);
  });

  it('reads Retry-After as seconds or a date', () => {
    const now = new Date('2026-11-26T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 10:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('passes Retry-After on', () => {
    expect(classifyAnswer({ ...oauth(503, 'x'), retryAfter: '2' }, context).retryAfterMs).toBe(2000);
  });
});

describe('classifyAnswer with client-auth: github-oidc (Keycloak 26.7.3 and 26.4.7 answers)', () => {
  const oidc: KeycloakErrorContext = {
    ...context,
    assertion: { iss: 'https://token.actions.githubusercontent.com', sub: 'repo:acme/pipeline:ref:refs/heads/dev', aud: ['https://sso.example.com/realms/test'] },
  };
  const refused = (status: number, error: string, description: string) =>
    classifyAnswer({ status, contentType: 'application/json', body: JSON.stringify({ error, error_description: description }) }, oidc);

  it.each([
    [401, 'invalid_client', 'Invalid client or Invalid client credentials', 'oidc-assertion-rejected', /no client in realm 'test' accepts the job's GitHub OIDC token \(sub 'repo:acme\/pipeline:ref:refs\/heads\/dev', issuer 'https:\/\/token.actions.githubusercontent.com'\)/],
    [401, 'invalid_request', 'Authentication failed.', 'oidc-assertion-rejected', /no client in realm 'test' accepts/],
    [400, 'invalid_client', 'Invalid token audience', 'oidc-audience-rejected', /not 'https:\/\/sso.example.com\/realms\/test'\. Set oidc-audience to the "issuer" of/],
    [400, 'invalid_client', 'Multiple audiences not allowed', 'oidc-audience-rejected', /oidc-audience/],
    [400, 'invalid_client', 'Token is not active', 'oidc-assertion-rejected', /not valid by Keycloak's clock/],
    [400, 'invalid_client', 'Token was issued too far in the past to be used now', 'oidc-assertion-rejected', /within 300 s of its iat/],
    [400, 'invalid_client', 'Token reuse detected', 'oidc-assertion-rejected', /replaying it/],
    [400, 'unauthorized_client', 'Unexpected error when authenticating client', 'client-not-federated', /Signed JWT - Federated/],
  ] as const)('%i %s "%s" is %s', (status, error, description, kind, message) => {
    const classified = refused(status, error, description);
    expect(classified.kind).toBe(kind);
    expect(classified.message).toMatch(message);
    expect(classified.message).not.toMatch(/client secret/);
  });

  it('still explains the refresh token itself in its own terms', () => {
    expect(refused(400, 'invalid_grant', 'Token is not active').kind).toBe('refresh-token-expired');
  });
});
