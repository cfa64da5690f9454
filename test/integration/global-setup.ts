// Brings up what the integration suite needs (engine, Keycloak and Ceph images), then
// starts the shared Keycloak. Test files start Ceph themselves (support/ceph-container.ts).
// Nothing here skips: without an engine or an image the suite fails, loudly.
import type { TestProject } from 'vitest/node';
import { prepareTestEnvironment } from './support/environment.js';
import { COMPAT_VERSION, DEFAULT_VERSION, startKeycloak } from './support/keycloak-container.js';
import type { RunningKeycloak } from './support/keycloak-container.js';

declare module 'vitest' {
  export interface ProvidedContext {
    keycloakUrl: string;
  }
}

let keycloak: RunningKeycloak | undefined;

export async function setup(project: TestProject): Promise<void> {
  await prepareTestEnvironment({ keycloakVersions: [DEFAULT_VERSION, COMPAT_VERSION], ceph: true });
  keycloak = await startKeycloak();
  project.provide('keycloakUrl', keycloak.baseUrl);
  console.log(`Keycloak ${DEFAULT_VERSION} ready at ${keycloak.baseUrl} in ${(keycloak.startupMs / 1000).toFixed(1)} s`);
}

export async function teardown(): Promise<void> {
  await keycloak?.stop();
}
