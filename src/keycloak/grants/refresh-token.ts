// The refresh_token grant (RFC 6749 section 6): the action's main purpose.
import type { TokenGrant } from './token-grant.js';
import { grantForm } from './token-grant.js';

export function refreshTokenGrant(refreshToken: string, scope: string | undefined): TokenGrant {
  return {
    type: 'refresh_token',
    attempted: 'the refresh',
    presented: refreshToken,
    // A lost answer may hide a rotation: only retry-after-send resends it.
    resendable: false,
    form: () => grantForm({ grant_type: 'refresh_token', refresh_token: refreshToken }, scope),
  };
}
