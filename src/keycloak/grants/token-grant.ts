// The ways to obtain tokens at Keycloak's token endpoint: one module per grant,
// all behind this interface. keycloak-request.ts sends any of them, authenticated
// as the client-auth input says.

/** The grant_type a token request names, and the `grant` output. */
export type GrantType = 'refresh_token' | 'password' | 'client_credentials' | typeof TOKEN_EXCHANGE;

/** RFC 8693's grant_type. */
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export interface TokenGrant {
  readonly type: GrantType;
  /** What Keycloak refused, for an error message: 'the refresh', 'the password login (...)'. */
  readonly attempted: string;
  /** The refresh token the request presents ('' for a login): rotation is judged against it. */
  readonly presented: string;
  /** True when the request uses nothing up, so an answer lost after sending may be retried. */
  readonly resendable: boolean;
  /** The form without the client's credentials; a new one for every attempt. */
  form(): URLSearchParams;
}

/** A grant's form, narrowed to `scope` when given (Keycloak can only narrow). */
export function grantForm(fields: Record<string, string>, scope: string | undefined): URLSearchParams {
  const form = new URLSearchParams(fields);
  if (scope !== undefined) form.set('scope', scope);
  return form;
}
