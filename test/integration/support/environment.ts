// What every real-Keycloak run needs before a container can start: a Docker
// engine (installed and started when missing) and the offline-built images.
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

/** Idempotent: takes seconds when the engine runs and the images exist. Throws, never skips. */
export function prepareKeycloakEnvironment(versions: string[]): void {
  Object.assign(process.env, TESTCONTAINERS_ENV);
  runScript('docker-up.sh');
  if (process.env.KEYCLOAK_IMAGE !== undefined) return;
  for (const version of versions) runScript('keycloak-image.sh', version);
}

function runScript(script: string, ...args: string[]): void {
  try {
    execFileSync(resolve(SCRIPTS, script), args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch {
    throw new Error(`scripts/${script} ${args.join(' ')} failed: no real Keycloak can run (see the output above).`);
  }
}
