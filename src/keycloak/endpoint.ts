// Keycloak's OpenID Connect endpoints for a realm. The base URL may carry a
// legacy `/auth` path (Keycloak <= 16, or --http-relative-path=/auth); it is
// kept as given, never guessed, because guessing costs a second request.
import { withoutTrailingSlashes } from '../text.js';

export function realmUrl(keycloakUrl: string, realm: string): string {
  return `${withoutTrailingSlashes(keycloakUrl)}/realms/${encodeURIComponent(realm)}`;
}

export function tokenEndpoint(keycloakUrl: string, realm: string): string {
  return `${realmUrl(keycloakUrl, realm)}/protocol/openid-connect/token`;
}
