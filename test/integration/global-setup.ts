// Brings up what the integration suite needs (engine, Keycloak and Ceph images), then
// starts the servers every test file shares: Keycloak and Ceph RGW, side by side.
// Nothing here skips: without an engine or an image the suite fails, loudly.
import type { TestProject } from 'vitest/node';
import { actTools } from './support/act.js';
import type { CephAddress, StartedCeph } from './support/ceph-container.js';
import { startCeph } from './support/ceph-container.js';
import { prepareTestEnvironment } from './support/environment.js';
import { COMPAT_VERSION, DEFAULT_VERSION, startKeycloak } from './support/keycloak-container.js';
import type { RunningKeycloak } from './support/keycloak-container.js';

declare module 'vitest' {
  export interface ProvidedContext {
    keycloakUrl: string;
    ceph: CephAddress;
  }
}

let keycloak: RunningKeycloak | undefined;
let ceph: StartedCeph | undefined;

export async function setup(project: TestProject): Promise<void> {
  const started = Date.now();
  // act (test/integration/act.test.ts) builds beside the images when missing; it fails the
  // suite, like a missing engine, when it cannot be built.
  await Promise.all([prepareTestEnvironment({ keycloakVersions: [DEFAULT_VERSION, COMPAT_VERSION], ceph: true }), actTools()]);
  console.log(`Engine and images ready in ${seconds(Date.now() - started)}`);
  const [keycloakStart, cephStart] = await Promise.allSettled([startKeycloak(), startCeph()]);
  if (keycloakStart.status === 'fulfilled') keycloak = keycloakStart.value;
  if (cephStart.status === 'fulfilled') ceph = cephStart.value;
  if (!keycloak || !ceph) {
    await teardown();
    throw [keycloakStart, cephStart].map((start) => (start.status === 'rejected' ? start.reason : undefined)).find(Boolean);
  }
  project.provide('keycloakUrl', keycloak.baseUrl);
  project.provide('ceph', ceph.address);
  console.log(`Keycloak ${DEFAULT_VERSION} ready at ${keycloak.baseUrl} in ${seconds(keycloak.startupMs)}`);
  console.log(`Ceph RGW ready at ${ceph.s3Url} in ${seconds(ceph.readyMs)}`);
}

export async function teardown(): Promise<void> {
  await Promise.all([keycloak?.stop(), ceph?.stop()]);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
