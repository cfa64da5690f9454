import { describe, expect, it } from 'vitest';
import { envExports } from '../src/outputs.js';
import { parseTokenResponse } from '../src/keycloak/token-result.js';

describe('envExports', () => {
  it('exports no refresh token when the grant returned none (client credentials)', () => {
    const result = parseTokenResponse(JSON.stringify({ access_token: 'service-access' }), '', new Date(), 'client_credentials');
    expect(envExports(result)).toEqual({ KEYCLOAK_ACCESS_TOKEN: 'service-access' });
  });
});
