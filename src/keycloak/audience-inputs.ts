// exchange-audience, exchange-scope and exchange-only: the access token narrowed, by
// Keycloak's standard token exchange, to the clients that will receive it.
import type { InputReader } from '../input-values.js';
import { InputError, optionalSingleLine, readBoolean } from '../input-values.js';
import { fitsFormat } from '../outside-text.js';

export interface AudienceInputs {
  /** Client IDs of the realm. */
  audiences: string[];
  scope: string | undefined;
  /** Hand out only the narrowed token: access-token, export-env, token-file, keycloak-token and role-to-assume get it. */
  only: boolean;
}

export function parseAudienceInputs(read: InputReader): AudienceInputs | undefined {
  const audiences = read('exchange-audience').split(/\s+/).filter((word) => word !== '');
  const scope = optionalSingleLine(read, 'exchange-scope');
  const only = readBoolean(read, 'exchange-only', false);
  if (audiences.length === 0) {
    if (scope !== undefined) throw new InputError('exchange-scope', 'is only used with exchange-audience');
    if (only) throw new InputError('exchange-only', 'is only used with exchange-audience');
    return undefined;
  }
  if (!audiences.every((audience) => /^[\w.:@/-]{1,255}$/.test(audience))) {
    throw new InputError('exchange-audience', 'must be client IDs of the realm, separated by spaces or line breaks');
  }
  if (scope !== undefined && !fitsFormat(scope, 'scope')) throw new InputError('exchange-scope', 'must be scope names separated by single spaces');
  return { audiences: [...new Set(audiences)], scope, only };
}
