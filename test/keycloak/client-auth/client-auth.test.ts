import { describe, expect, it, vi } from 'vitest';
import { clientAuthentication } from '../../../src/keycloak/client-auth/index.js';
import { basicAuthorization } from '../../../src/keycloak/client-auth/client-secret.js';
import { JWT_BEARER_ASSERTION } from '../../../src/keycloak/client-auth/github-oidc.js';
import { fakeJwt } from '../../support/fake-token-endpoint.js';

const client = { clientId: 'ceph-s3', clientSecret: undefined, clientAuth: 'post' as const, oidcAudience: undefined };

async function authenticated(inputs: Parameters<typeof clientAuthentication>[0], fetchIdToken?: (audience: string) => Promise<string>) {
  const form = new URLSearchParams({ grant_type: 'refresh_token' });
  const headers: Record<string, string> = {};
  const facts = await clientAuthentication(inputs, fetchIdToken).authenticate({ form, headers });
  return { form: Object.fromEntries(form), headers, facts };
}

describe('clientAuthentication', () => {
  it('names a public client in the form and nothing else', async () => {
    expect(await authenticated(client)).toEqual({ form: { grant_type: 'refresh_token', client_id: 'ceph-s3' }, headers: {}, facts: {} });
  });

  it('sends the secret in the body with client-auth post', async () => {
    const { form, headers } = await authenticated({ ...client, clientSecret: 'a&b=c d' });
    expect(form).toEqual({ grant_type: 'refresh_token', client_id: 'ceph-s3', client_secret: 'a&b=c d' });
    expect(headers).toEqual({});
  });

  it('sends id and secret only as HTTP Basic with client-auth basic', async () => {
    const { form, headers } = await authenticated({ ...client, clientSecret: 'a&b=c d', clientAuth: 'basic' });
    expect(form).toEqual({ grant_type: 'refresh_token' });
    expect(headers).toEqual({ Authorization: basicAuthorization('ceph-s3', 'a&b=c d') });
  });

  it('sends a new GitHub OIDC token as client assertion for every request, without client_id', async () => {
    const tokens = [fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main', aud: 'https://sso/realms/ci', iss: 'https://gh' }), fakeJwt({ jti: '2' })];
    const fetchIdToken = vi.fn(async () => tokens.shift() ?? 'none left');
    const inputs = { ...client, clientAuth: 'github-oidc' as const, oidcAudience: 'https://sso/realms/ci' };
    const auth = clientAuthentication(inputs, fetchIdToken);
    expect(auth.namesClient).toBe(false);
    const first = await authenticated(inputs, fetchIdToken);
    expect(first.form).toEqual({ grant_type: 'refresh_token', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: expect.any(String) });
    expect(first.facts.assertion).toEqual({ sub: 'repo:acme/pipeline:ref:refs/heads/main', aud: ['https://sso/realms/ci'], iss: 'https://gh' });
    const second = await authenticated(inputs, fetchIdToken);
    expect(second.form.client_assertion).not.toBe(first.form.client_assertion);
    expect(fetchIdToken.mock.calls).toEqual([['https://sso/realms/ci'], ['https://sso/realms/ci']]);
  });

  it('describes itself without any credential', () => {
    const description = clientAuthentication({ ...client, clientSecret: 'the-secret' }, undefined).description;
    expect(description).toBe("confidential client 'ceph-s3', secret sent by post");
  });
});

describe('basicAuthorization', () => {
  it('form-encodes id and secret before base64 (RFC 6749 2.3.1)', () => {
    const header = basicAuthorization('my client', 'p:ss+w/rd');
    const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString();
    expect(decoded).toBe('my+client:p%3Ass%2Bw%2Frd');
  });
});
