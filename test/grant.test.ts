import { describe, expect, it } from 'vitest';
import { basicAuthorization, introspectionRequest, refreshGrantRequest } from '../src/grant.js';

const base = {
  keycloakUrl: 'https://sso.example.com',
  realm: 'test',
  clientId: 'ceph-s3',
  clientSecret: undefined,
  clientAuth: 'post' as const,
  refreshToken: 'the-refresh-token',
  scope: undefined,
};

const form = (body: string) => Object.fromEntries(new URLSearchParams(body));

describe('refreshGrantRequest', () => {
  it('sends a public client id in the form body', () => {
    const request = refreshGrantRequest(base);
    expect(request.url).toBe('https://sso.example.com/realms/test/protocol/openid-connect/token');
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' });
    expect(form(request.body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'the-refresh-token', client_id: 'ceph-s3' });
  });

  it('sends the secret in the body with client-auth post', () => {
    const request = refreshGrantRequest({ ...base, clientSecret: 'a&b=c d', scope: 'openid email' });
    expect(form(request.body)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'the-refresh-token',
      client_id: 'ceph-s3',
      client_secret: 'a&b=c d',
      scope: 'openid email',
    });
    expect(request.headers.Authorization).toBeUndefined();
  });

  it('sends id and secret only as HTTP Basic with client-auth basic', () => {
    const request = refreshGrantRequest({ ...base, clientSecret: 'a&b=c d', clientAuth: 'basic' });
    expect(form(request.body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'the-refresh-token' });
    expect(request.headers.Authorization).toBe(basicAuthorization('ceph-s3', 'a&b=c d'));
  });
});

describe('basicAuthorization', () => {
  it('form-encodes id and secret before base64 (RFC 6749 2.3.1)', () => {
    const header = basicAuthorization('my client', 'p:ss+w/rd');
    const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString();
    expect(decoded).toBe('my+client:p%3Ass%2Bw%2Frd');
  });
});

describe('introspectionRequest', () => {
  it('asks about the refresh token, with the hint Keycloak needs, as the client', () => {
    const request = introspectionRequest({ ...base, clientSecret: 's3cret' });
    expect(request.url).toBe('https://sso.example.com/realms/test/protocol/openid-connect/token/introspect');
    expect(form(request.body)).toEqual({
      token: 'the-refresh-token',
      token_type_hint: 'refresh_token',
      client_id: 'ceph-s3',
      client_secret: 's3cret',
    });
  });

  it('uses HTTP Basic with client-auth basic', () => {
    const request = introspectionRequest({ ...base, clientSecret: 's3cret', clientAuth: 'basic' });
    expect(request.headers.Authorization).toBe(basicAuthorization('ceph-s3', 's3cret'));
    expect(form(request.body)).toEqual({ token: 'the-refresh-token', token_type_hint: 'refresh_token' });
  });
});
