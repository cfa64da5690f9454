// Which client the action is and how it proves it: client-id, client-secret,
// client-auth and oidc-audience.
import type { InputReader } from '../../input-values.js';
import { InputError, optionalSingleLine, readChoice, requiredSingleLine } from '../../input-values.js';
import type { ConnectionInputs } from '../connection-inputs.js';
import { realmUrl } from '../endpoint.js';

export const CLIENT_AUTHS = ['post', 'basic', 'github-oidc'] as const;
export type ClientAuth = (typeof CLIENT_AUTHS)[number];

export interface ClientInputs {
  clientId: string;
  clientSecret: string | undefined;
  clientAuth: ClientAuth;
  /** The audience asked for the job's GitHub OIDC token, with client-auth: github-oidc. */
  oidcAudience: string | undefined;
}

export function parseClientInputs(read: InputReader, connection: Pick<ConnectionInputs, 'keycloakUrl' | 'realm'>): ClientInputs {
  const clientId = requiredSingleLine(read, 'client-id');
  const clientSecret = optionalSingleLine(read, 'client-secret');
  const clientAuth = readChoice(read, 'client-auth', CLIENT_AUTHS, 'post');
  if (clientAuth === 'basic' && clientSecret === undefined) {
    throw new InputError('client-auth', "is 'basic' but client-secret is empty: Basic auth needs the client secret");
  }
  if (clientAuth === 'github-oidc' && clientSecret !== undefined) {
    throw new InputError('client-secret', "is set, but client-auth: github-oidc authenticates with the job's OIDC token instead: remove client-secret");
  }
  const oidcAudience = parseOidcAudience(read('oidc-audience'), clientAuth, realmUrl(connection.keycloakUrl, connection.realm));
  return { clientId, clientSecret, clientAuth, oidcAudience };
}

/** Without a secret only github-oidc makes a confidential client. */
export function isConfidential(client: Pick<ClientInputs, 'clientSecret' | 'clientAuth'>): boolean {
  return client.clientSecret !== undefined || client.clientAuth === 'github-oidc';
}

// Keycloak wants the realm's issuer URL as the assertion's only audience.
function parseOidcAudience(raw: string, clientAuth: ClientAuth, realmIssuer: string): string | undefined {
  const value = raw.trim();
  if (clientAuth !== 'github-oidc') {
    if (value !== '') throw new InputError('oidc-audience', 'is only used with client-auth: github-oidc');
    return undefined;
  }
  if (value === '') return realmIssuer;
  if (/\s/.test(value)) throw new InputError('oidc-audience', 'must be one audience without spaces, e.g. the realm issuer https://sso.example.com/realms/ci');
  return value;
}
