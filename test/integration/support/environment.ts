// What every real-server run needs before a container can start: a Docker engine
// (installed and started when missing) and the offline-built images.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

const SCRIPTS = resolve(import.meta.dirname, '../../../scripts');

/** testcontainers settings for these machines; see ../shared/docs/harness-facts.md. */
export const TESTCONTAINERS_ENV = {
  // Ryuk's image cannot be pulled here: every container is stopped by whoever started it.
  TESTCONTAINERS_RYUK_DISABLED: 'true',
  // Otherwise testcontainers pulls an image to find the gateway inside /.dockerenv machines.
  TESTCONTAINERS_HOST_OVERRIDE: 'localhost',
};

export interface TestEnvironment {
  /** Keycloak images to build (scripts/keycloak-image.sh), unless KEYCLOAK_IMAGE is set. */
  keycloakVersions: string[];
  /** Also the Ceph RGW image (scripts/ceph-image.sh), unless CEPH_IMAGE is set. */
  ceph: boolean;
}

/**
 * The engine and the images of the integration suite. Idempotent: takes seconds when
 * the engine runs and the images exist. Throws, never skips.
 */
export function prepareTestEnvironment({ keycloakVersions, ceph }: TestEnvironment): void {
  Object.assign(process.env, TESTCONTAINERS_ENV);
  runScript('docker-up.sh');
  if (process.env.KEYCLOAK_IMAGE === undefined) {
    for (const version of keycloakVersions) runScript('keycloak-image.sh', version);
  }
  if (ceph && process.env.CEPH_IMAGE === undefined) runScript('ceph-image.sh');
}

/** Keycloak only (npm run demo, npm run benchmark). */
export function prepareKeycloakEnvironment(versions: string[]): void {
  prepareTestEnvironment({ keycloakVersions: versions, ceph: false });
}

function runScript(script: string, ...args: string[]): void {
  try {
    execFileSync(resolve(SCRIPTS, script), args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error(`scripts/${[script, ...args].join(' ')} failed: the real servers cannot run (see the output above).`);
  }
}
