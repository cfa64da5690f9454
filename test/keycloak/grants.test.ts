import { describe, expect, it } from 'vitest';
import { clientCredentialsGrant } from '../../src/keycloak/grants/client-credentials.js';
import { passwordGrant } from '../../src/keycloak/grants/password.js';
import { refreshTokenGrant } from '../../src/keycloak/grants/refresh-token.js';

const form = (params: URLSearchParams) => Object.fromEntries(params);

describe('token grants', () => {
  it('refresh_token: presents the token, narrows the scope, and is never resent blindly', () => {
    const grant = refreshTokenGrant('the-refresh-token', 'openid email');
    expect(form(grant.form())).toEqual({ grant_type: 'refresh_token', refresh_token: 'the-refresh-token', scope: 'openid email' });
    expect(grant).toMatchObject({ type: 'refresh_token', presented: 'the-refresh-token', resendable: false, attempted: 'the refresh' });
  });

  it('password: a login that uses nothing up', () => {
    const grant = passwordGrant('ci-bot', 'p w', undefined);
    expect(form(grant.form())).toEqual({ grant_type: 'password', username: 'ci-bot', password: 'p w' });
    expect(grant).toMatchObject({ type: 'password', presented: '', resendable: true });
  });

  it('client_credentials: named as a fallback only when it is one', () => {
    expect(form(clientCredentialsGrant('openid', false).form())).toEqual({ grant_type: 'client_credentials', scope: 'openid' });
    expect(clientCredentialsGrant(undefined, true).attempted).toMatch(/fallback: client-credentials/);
    expect(clientCredentialsGrant(undefined, false).attempted).toBe('the client-credentials grant');
  });

  it('builds a new form for every attempt', () => {
    const grant = refreshTokenGrant('t', undefined);
    expect(grant.form()).not.toBe(grant.form());
  });
});
