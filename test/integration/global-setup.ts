// Brings up what the real-Keycloak suite needs, then starts the shared server.
// Nothing here skips: without an engine or an image the suite fails, loudly.
import type { TestProject } from 'vitest/node';
import { prepareKeycloakEnvironment } from './support/environment.js';
import { COMPAT_VERSION, DEFAULT_VERSION, startKeycloak } from './support/keycloak-container.js';
import type { RunningKeycloak } from './support/keycloak-container.js';

declare module 'vitest' {
  export interface ProvidedContext {
    keycloakUrl: string;
  }
}

let keycloak: RunningKeycloak | undefined;

export async function setup(project: TestProject): Promise<void> {
  prepareKeycloakEnvironment([DEFAULT_VERSION, COMPAT_VERSION]);
  keycloak = await startKeycloak();
  project.provide('keycloakUrl', keycloak.baseUrl);
  console.log(`Keycloak ${DEFAULT_VERSION} ready at ${keycloak.baseUrl} in ${(keycloak.startupMs / 1000).toFixed(1)} s`);
}

export async function teardown(): Promise<void> {
  await keycloak?.stop();
}
