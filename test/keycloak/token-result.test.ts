import { describe, expect, it } from 'vitest';
import { KeycloakError } from '../../src/keycloak/keycloak-error.js';
import { parseTokenResponse } from '../../src/keycloak/token-result.js';
import { fakeJwt } from '../support/fake-token-endpoint.js';

const requestedAt = new Date('2026-11-26T10:00:00.000Z');
const sent = fakeJwt({ typ: 'Refresh', exp: 1_900_000_000 }, 'sent');

const keycloakBody = {
  access_token: 'new-access',
  expires_in: 300,
  refresh_expires_in: 1800,
  refresh_token: fakeJwt({ typ: 'Refresh' }, 'new'),
  token_type: 'Bearer',
  id_token: 'new-id',
  'not-before-policy': 0,
  session_state: 'c0ffee',
  scope: 'openid email profile',
};

const parse = (body: unknown) => parseTokenResponse(JSON.stringify(body), sent, requestedAt);

describe('parseTokenResponse', () => {
  it('reads a full Keycloak answer and counts expiry from the request time', () => {
    expect(parse(keycloakBody)).toEqual({
      grant: 'refresh_token',
      accessToken: 'new-access',
      refreshToken: keycloakBody.refresh_token,
      idToken: 'new-id',
      tokenType: 'Bearer',
      scope: 'openid email profile',
      sessionState: 'c0ffee',
      expiresIn: 300,
      expiresAt: new Date('2026-11-26T10:05:00.000Z'),
      refreshExpiresIn: 1800,
      refreshExpiresAt: new Date('2026-11-26T10:30:00.000Z'),
      rotated: true,
      refreshTokenKind: 'Refresh',
    });
  });

  it('keeps the sent refresh token when none is returned, and says it did not rotate', () => {
    const { refresh_token: _, refresh_expires_in: __, ...withoutRefresh } = keycloakBody;
    const result = parse(withoutRefresh);
    expect(result.refreshToken).toBe(sent);
    expect(result.rotated).toBe(false);
    // Expiry then comes from the sent token's own exp claim.
    expect(result.refreshExpiresAt).toEqual(new Date(1_900_000_000 * 1000));
  });

  it('does not call an identical refresh token rotated', () => {
    expect(parse({ ...keycloakBody, refresh_token: sent }).rotated).toBe(false);
  });

  it('treats refresh_expires_in 0 without an exp claim as unknown, not never', () => {
    const offline = fakeJwt({ typ: 'Offline' }, 'offline');
    const result = parse({ ...keycloakBody, refresh_token: offline, refresh_expires_in: 0 });
    expect(result.refreshExpiresIn).toBeUndefined();
    expect(result.refreshExpiresAt).toBeUndefined();
    expect(result.refreshTokenKind).toBe('Offline');
  });

  it('ignores an exp claim beyond what a date can hold', () => {
    const token = fakeJwt({ typ: 'Offline', exp: 1e16 });
    expect(parse({ ...keycloakBody, refresh_token: token, refresh_expires_in: 0 }).refreshExpiresAt).toBeUndefined();
  });

  it('uses the exp claim when refresh_expires_in is 0 but the token expires', () => {
    const token = fakeJwt({ typ: 'Offline', exp: requestedAt.getTime() / 1000 + 3600 });
    const result = parse({ ...keycloakBody, refresh_token: token, refresh_expires_in: 0 });
    expect(result.refreshExpiresIn).toBe(3600);
  });

  it.each([
    ['bearer', 'Bearer'],
    ['BEARER', 'Bearer'],
    [undefined, 'Bearer'],
    ['DPoP', 'DPoP'],
  ])('normalises token_type %j to %j', (tokenType, expected) => {
    expect(parse({ ...keycloakBody, token_type: tokenType }).tokenType).toBe(expected);
  });

  it('leaves missing optional fields undefined', () => {
    const result = parse({ access_token: 'only-access' });
    expect(result).toMatchObject({
      accessToken: 'only-access',
      idToken: undefined,
      scope: undefined,
      sessionState: undefined,
      expiresIn: undefined,
      expiresAt: undefined,
      tokenType: 'Bearer',
    });
  });

  it('accepts numeric strings for lifetimes and ignores nonsense', () => {
    expect(parse({ ...keycloakBody, expires_in: '60' }).expiresIn).toBe(60);
    expect(parse({ ...keycloakBody, expires_in: -1 }).expiresIn).toBeUndefined();
    expect(parse({ ...keycloakBody, expires_in: 'soon' }).expiresIn).toBeUndefined();
    expect(parse({ ...keycloakBody, expires_in: 8_638_204_348_801 }).expiresAt).toBeUndefined();
  });

  it.each([
    ['not JSON', '<html>login</html>', 'not JSON'],
    ['a JSON array', '[]', 'not a JSON object'],
    ['no access_token', JSON.stringify({ refresh_token: 'r' }), 'without an access_token'],
    ['an empty access_token', JSON.stringify({ access_token: '' }), 'without an access_token'],
    ['an access_token with a line break', JSON.stringify({ access_token: 'eyJ.a\n::error::x' }), 'its access_token is not a token'],
    ['a refresh_token with a space', JSON.stringify({ access_token: 'eyJ.a.b', refresh_token: 'two words' }), 'its refresh_token is not a token'],
  ])('rejects %s without quoting the body', (_, body, problem) => {
    expect(() => parseTokenResponse(body, sent, requestedAt)).toThrow(KeycloakError);
    expect(() => parseTokenResponse(body, sent, requestedAt)).toThrow(problem);
    try {
      parseTokenResponse(body, sent, requestedAt);
    } catch (error) {
      expect((error as Error).message).not.toContain(body);
    }
  });

  it('publishes a token_type, scope or session_state that does not fit its format as (invalid), not as sent', () => {
    const hostile = '\n::error::forged ##[stop-commands]x';
    expect(parse({ ...keycloakBody, token_type: hostile, scope: hostile, session_state: hostile })).toMatchObject({ tokenType: '(invalid)', scope: '(invalid)', sessionState: '(invalid)' });
    expect(parse({ ...keycloakBody, token_type: 'DPoP', scope: 'openid urn:acme:read' })).toMatchObject({ tokenType: 'DPoP', scope: 'openid urn:acme:read' });
    expect(parse({ ...keycloakBody, refresh_token: fakeJwt({ typ: 'Offline\n::error::x' }) }).refreshTokenKind).toBe('(invalid)');
  });
});
