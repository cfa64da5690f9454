// The Keycloak that the suite's global setup started for every test file.
import { inject } from 'vitest';
import { KeycloakApi } from './keycloak-api.js';

export function sharedKeycloakApi(): KeycloakApi {
  return new KeycloakApi(inject('keycloakUrl'));
}
