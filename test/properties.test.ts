// Property-based tests: whatever Keycloak, a proxy or a user sends, the pure
// core answers with a result or a classified error, never a crash.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/input-values.js';
import { ACTION } from './support/action-definition.js';
import { parseInputs } from '../src/inputs.js';
import { readClaims } from '../src/jwt-claims.js';
import { KeycloakError, classifyAnswer } from '../src/keycloak/keycloak-error.js';
import { parseTokenResponse } from '../src/keycloak/token-result.js';

const requestedAt = new Date('2026-11-26T00:00:00Z');
const context = {
  attempted: 'the refresh',
  tokenUrl: 'https://sso.example.com/realms/test/protocol/openid-connect/token',
  realm: 'test',
  clientId: 'ceph-s3',
  assertion: undefined,
  tokenIssuer: undefined,
  realmUrl: 'https://sso.example.com/realms/test',
  rotation: 'off' as const,
};

// Bodies that look like what a token endpoint or a proxy might say.
const tokenBody = fc.oneof(
  fc.string(),
  fc.json(),
  fc.record(
    {
      access_token: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      refresh_token: fc.oneof(fc.string(), fc.base64String(), fc.constant(undefined)),
      expires_in: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
      refresh_expires_in: fc.oneof(fc.integer(), fc.double(), fc.string()),
      token_type: fc.oneof(fc.string(), fc.constant('bearer')),
      scope: fc.anything(),
    },
    { requiredKeys: [] },
  ).map((body) => JSON.stringify(body)),
);

describe('properties', () => {
  it('parseTokenResponse returns a token result or throws a KeycloakError', () => {
    fc.assert(
      fc.property(tokenBody, fc.string(), (body, sent) => {
        try {
          const result = parseTokenResponse(body, sent, requestedAt);
          expect(typeof result.accessToken).toBe('string');
          expect(result.accessToken).not.toBe('');
          // Every date must survive the ISO formatting the outputs use.
          for (const date of [result.expiresAt, result.refreshExpiresAt]) if (date) expect(() => date.toISOString()).not.toThrow();
        } catch (error) {
          expect(error).toBeInstanceOf(KeycloakError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('classifyAnswer explains any status and body in one line without repeating the body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), tokenBody, fc.string(), (status, body, contentType) => {
        const error = classifyAnswer({ status, contentType, body }, context);
        expect(error).toBeInstanceOf(KeycloakError);
        expect(error.message).not.toMatch(/[\r\n]/);
        expect(error.message.length).toBeLessThan(700);
      }),
      { numRuns: 500 },
    );
  });

  it('readClaims never throws and keeps only well-typed claims', () => {
    const segment = fc.oneof(fc.string(), fc.base64String(), fc.json().map((j) => Buffer.from(j).toString('base64url')));
    fc.assert(
      fc.property(segment, segment, segment, (a, b, c) => {
        const claims = readClaims(`${a}.${b}.${c}`);
        if (claims === undefined) return;
        for (const key of ['exp', 'iat'] as const) if (key in claims) expect(Number.isFinite(claims[key])).toBe(true);
        for (const key of ['typ', 'azp', 'iss', 'sid'] as const) if (key in claims) expect(typeof claims[key]).toBe('string');
      }),
      { numRuns: 500 },
    );
  });

  it('parseInputs accepts or names the bad input, for every input of action.yml', () => {
    const names = [
      'mode', 'check-method', 'min-validity', 'warn-validity', 'keycloak-url', 'realm', 'client-id', 'client-secret', 'client-auth', 'oidc-audience',
      'refresh-token', 'fallback', 'username', 'password', 'scope', 'timeout-seconds', 'retries', 'retry-after-send', 'revoke-refresh-token', 'update-secret',
      'secret-environment', 'update-secret-token', 'ca-certificate', 'allow-insecure-http', 'role-to-assume', 'sts-endpoint', 'role-session-name',
      'role-duration-seconds', 's3-endpoint', 'exchange-audience', 'exchange-scope', 'exchange-only', 'keep-fresh', 'aws-profile', 'export-env', 'token-file', 'revoke-on-post',
    ];
    // The list is action.yml's whole list: an input added there and not here fails this line.
    expect([...names].sort()).toEqual(Object.keys(ACTION.inputs).sort());
    const value = fc.oneof(
      fc.string(),
      fc.webUrl(),
      fc.constantFrom('true', 'false', 'basic', 'github-oidc', 'on', 'arn:aws:iam:::role/x', '900', '15', 'check', 'introspect', '7d', 'password', 'client-credentials'),
      fc.constantFrom('KEYCLOAK_REFRESH_TOKEN', 'production', 'ghp_Token4Tests', 'ceph-s3', 'ceph-s3\napi', 'openid', 'keycloak', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----'),
    );
    const inputs = fc.record(Object.fromEntries(names.map((name) => [name, value])));
    fc.assert(
      fc.property(inputs, (values) => {
        try {
          parseInputs((name) => values[name] ?? '');
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          expect(names).toContain((error as InputError).input);
          expect((error as Error).message).not.toMatch(/[\r\n]/);
        }
      }),
      { numRuns: 1000 },
    );
    // A thousand parses take seconds on a loaded 2-core machine.
  }, 30_000);
});
