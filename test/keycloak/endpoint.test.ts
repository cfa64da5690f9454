import { describe, expect, it } from 'vitest';
import { realmUrl, tokenEndpoint } from '../../src/keycloak/endpoint.js';

describe('tokenEndpoint', () => {
  it.each([
    ['https://sso.example.com', 'https://sso.example.com/realms/test/protocol/openid-connect/token'],
    ['https://sso.example.com/', 'https://sso.example.com/realms/test/protocol/openid-connect/token'],
    ['https://sso.example.com/auth', 'https://sso.example.com/auth/realms/test/protocol/openid-connect/token'],
    ['https://sso.example.com/auth//', 'https://sso.example.com/auth/realms/test/protocol/openid-connect/token'],
    ['http://localhost:8080', 'http://localhost:8080/realms/test/protocol/openid-connect/token'],
  ])('builds the endpoint from %j', (base, expected) => {
    expect(tokenEndpoint(base, 'test')).toBe(expected);
  });

  it('encodes the realm as one path segment', () => {
    expect(realmUrl('https://sso.example.com', 'my realm?#')).toBe('https://sso.example.com/realms/my%20realm%3F%23');
  });
});
