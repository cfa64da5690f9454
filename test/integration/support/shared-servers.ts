// The servers that the suite's global setup started for every test file: one
// Keycloak (a realm per concern; the files keep out of each other's users and
// clients) and one Ceph RGW (each file its own provider, roles and buckets).
import { inject } from 'vitest';
import type { RunningCeph } from './ceph-container.js';
import { attachToCeph } from './ceph-container.js';
import { KeycloakApi } from './keycloak-api.js';

export function sharedKeycloakApi(): KeycloakApi {
  return new KeycloakApi(inject('keycloakUrl'));
}

export function sharedCeph(): Promise<RunningCeph> {
  return attachToCeph(inject('ceph'));
}
