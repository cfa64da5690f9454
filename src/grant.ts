// The requests this action sends to Keycloak's OpenID Connect endpoints, with
// the client authenticated as Keycloak takes it (RFC 6749 section 2.3.1).
import { realmUrl, tokenEndpoint } from './endpoint.js';
import type { ActionInputs } from './inputs.js';

export interface FormRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

type ClientInputs = Pick<ActionInputs, 'keycloakUrl' | 'realm' | 'clientId' | 'clientSecret' | 'clientAuth'>;
type GrantInputs = ClientInputs & Pick<ActionInputs, 'refreshToken' | 'scope'>;
type LoginInputs = ClientInputs & Pick<ActionInputs, 'username' | 'password' | 'scope'>;

/** The refresh_token grant (RFC 6749 section 6). */
export function refreshGrantRequest(inputs: GrantInputs): FormRequest {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: inputs.refreshToken });
  if (inputs.scope !== undefined) form.set('scope', inputs.scope);
  return clientRequest(tokenEndpoint(inputs.keycloakUrl, inputs.realm), form, inputs);
}

/** The resource owner password grant: fallback: password. */
export function passwordGrantRequest(inputs: LoginInputs): FormRequest {
  const form = new URLSearchParams({ grant_type: 'password', username: inputs.username ?? '', password: inputs.password ?? '' });
  if (inputs.scope !== undefined) form.set('scope', inputs.scope);
  return clientRequest(tokenEndpoint(inputs.keycloakUrl, inputs.realm), form, inputs);
}

/** The client credentials grant: fallback: client-credentials (a service account). */
export function clientCredentialsRequest(inputs: LoginInputs): FormRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (inputs.scope !== undefined) form.set('scope', inputs.scope);
  return clientRequest(tokenEndpoint(inputs.keycloakUrl, inputs.realm), form, inputs);
}

/**
 * Token introspection (RFC 7662) of the refresh token. Keycloak answers
 * {"active": false} for a refresh token unless the hint says what it is.
 */
export function introspectionRequest(inputs: GrantInputs): FormRequest {
  const form = new URLSearchParams({ token: inputs.refreshToken, token_type_hint: 'refresh_token' });
  const url = `${realmUrl(inputs.keycloakUrl, inputs.realm)}/protocol/openid-connect/token/introspect`;
  return clientRequest(url, form, inputs);
}

function clientRequest(url: string, form: URLSearchParams, client: ClientInputs): FormRequest {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  if (client.clientSecret !== undefined && client.clientAuth === 'basic') {
    headers.Authorization = basicAuthorization(client.clientId, client.clientSecret);
  } else {
    form.set('client_id', client.clientId);
    if (client.clientSecret !== undefined) form.set('client_secret', client.clientSecret);
  }
  return { url, headers, body: form.toString() };
}

// id and secret are form-urlencoded before they are joined.
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
