// Builds the refresh_token grant request (RFC 6749 section 6) as Keycloak takes it.
import { tokenEndpoint } from './endpoint.js';
import type { ActionInputs } from './inputs.js';

export interface FormRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

type GrantInputs = Pick<
  ActionInputs,
  'keycloakUrl' | 'realm' | 'clientId' | 'clientSecret' | 'clientAuth' | 'refreshToken' | 'scope'
>;

export function refreshGrantRequest(inputs: GrantInputs): FormRequest {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: inputs.refreshToken });
  if (inputs.scope !== undefined) form.set('scope', inputs.scope);
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  if (inputs.clientSecret !== undefined && inputs.clientAuth === 'basic') {
    headers.Authorization = basicAuthorization(inputs.clientId, inputs.clientSecret);
  } else {
    form.set('client_id', inputs.clientId);
    if (inputs.clientSecret !== undefined) form.set('client_secret', inputs.clientSecret);
  }
  return { url: tokenEndpoint(inputs.keycloakUrl, inputs.realm), headers, body: form.toString() };
}

// RFC 6749 section 2.3.1: id and secret are form-urlencoded before they are joined.
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
