// What every real-server run needs before a container can start: a Docker engine
// (installed and started when missing) and the offline-built images.
import { spawn } from 'node:child_process';
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
 * The engine and the images of the integration suite (and of npm run demo, benchmark
 * and keycloak:ready-time, with `ceph: false`). Idempotent: takes seconds when the
 * engine runs and the images exist. Throws, never skips. All image builds start at
 * once: on a fresh machine they wait on the Debian mirror, Maven Central and the CPU
 * at different times (the scripts' locks share the one Java base image).
 */
export async function prepareTestEnvironment({ keycloakVersions, ceph }: TestEnvironment): Promise<void> {
  Object.assign(process.env, TESTCONTAINERS_ENV);
  await runScript('docker-up.sh');
  const builds = [
    ...(process.env.KEYCLOAK_IMAGE === undefined ? keycloakVersions.map((version) => runScript('keycloak-image.sh', version)) : []),
    ...(ceph && process.env.CEPH_IMAGE === undefined ? [runScript('ceph-image.sh')] : []),
  ];
  const failed = (await Promise.allSettled(builds)).find((build) => build.status === 'rejected');
  if (failed) throw failed.reason;
}

function runScript(script: string, ...args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(resolve(SCRIPTS, script), args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => fail(scriptFailed(script, args)));
    child.on('exit', (code) => (code === 0 ? done() : fail(scriptFailed(script, args))));
  });
}

function scriptFailed(script: string, args: string[]): Error {
  return new Error(`scripts/${[script, ...args].join(' ')} failed: the real servers cannot run (see the output above).`);
}
