// A complete, valid ActionInputs for tests of the pure core.
import type { ActionInputs } from '../../src/inputs.js';
import { fakeJwt } from './fake-token-endpoint.js';

export function testInputs(overrides: Partial<ActionInputs> = {}): ActionInputs {
  return {
    mode: 'refresh',
    checkMethod: 'refresh',
    minValiditySeconds: undefined,
    warnValiditySeconds: undefined,
    keycloakUrl: 'https://sso.example.com',
    realm: 'test',
    clientId: 'ceph-s3',
    clientSecret: undefined,
    clientAuth: 'post',
    oidcAudience: undefined,
    refreshToken: fakeJwt({ typ: 'Refresh', iss: 'https://sso.example.com/realms/test' }),
    fallback: 'none',
    username: undefined,
    password: undefined,
    scope: undefined,
    timeoutMs: 15_000,
    exportEnv: false,
    tokenFile: false,
    retries: 2,
    retryAfterSend: false,
    rotation: 'off',
    caCertificate: '',
    updateSecret: undefined,
    s3Role: undefined,
    ...overrides,
  };
}
