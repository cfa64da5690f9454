// Starts a real Keycloak in a container with testcontainers. The image is the
// one scripts/keycloak-image.sh builds offline, or KEYCLOAK_IMAGE (e.g. the
// official quay.io/keycloak/keycloak:{version} where a registry is reachable).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GenericContainer, Wait } from 'testcontainers';
import type { StartedTestContainer } from 'testcontainers';
import { ADMIN, KeycloakApi } from './keycloak-api.js';

export const DEFAULT_VERSION = '26.7.3';
export const COMPAT_VERSION = '26.4.7';

const REALMS_DIR = resolve(import.meta.dirname, '../realms');
const OWN_IMAGE = 'keycloak-action-test/keycloak:{version}';

export interface KeycloakOptions {
  version?: string;
  /** Also serve HTTPS on 8443 with this certificate (PEM); the management port then speaks TLS too. */
  tls?: { cert: string; key: string };
  /** A fixed frontend URL (--hostname): the issuer of every token, whatever host a request used. */
  hostname?: string;
}

export interface RunningKeycloak {
  /** Base URL as a user would give it to the action (with the relative path). */
  baseUrl: string;
  /** The HTTPS base URL when started with `tls`. */
  httpsUrl: string | undefined;
  api: KeycloakApi;
  container: StartedTestContainer;
  /** Milliseconds from container creation to /health/ready. */
  startupMs: number;
  stop(): Promise<void>;
}

export function keycloakImage(version: string): string {
  return (process.env.KEYCLOAK_IMAGE ?? OWN_IMAGE).replaceAll('{version}', version);
}

export async function startKeycloak(options: KeycloakOptions = {}): Promise<RunningKeycloak> {
  const version = options.version ?? DEFAULT_VERSION;
  const relativePath = relativePathOf(version);
  // Our image is pre-built with these options and holds the realms in its database,
  // so it starts --optimized (no build step) and imports nothing. Another image needs
  // the build step (kc.sh start runs it first) and the realm files.
  const ownImage = process.env.KEYCLOAK_IMAGE === undefined;
  const command = ownImage
    ? ['start', '--optimized']
    : ['start', '--db=dev-file', '--health-enabled=true', ...buildFeatures(version), ...(relativePath ? [`--http-relative-path=${relativePath}`] : []), '--import-realm'];
  const tlsFiles = options.tls
    ? [
        { content: options.tls.cert, target: '/opt/keycloak/conf/test-tls.crt', mode: 0o644 },
        { content: options.tls.key, target: '/opt/keycloak/conf/test-tls.key', mode: 0o644 },
      ]
    : [];
  const tlsArgs = options.tls
    ? ['--https-certificate-file=/opt/keycloak/conf/test-tls.crt', '--https-certificate-key-file=/opt/keycloak/conf/test-tls.key']
    : [];
  const hostnameArgs = options.hostname ? [`--hostname=${options.hostname}`] : ['--hostname-strict=false'];
  // testcontainers asks once per read timeout: every 250 ms, not every second (the
  // answer takes milliseconds; a TLS handshake by a server just started takes longer).
  const health = Wait.forHttp(`${relativePath}/health/ready`, 9000)
    .withReadTimeout(options.tls ? 1000 : 250)
    .withStartupTimeout(180_000);
  const started = Date.now();
  const container = await new GenericContainer(keycloakImage(version))
    .withCommand([...command, '--http-enabled=true', ...hostnameArgs, ...tlsArgs, '--cache=local'])
    .withEnvironment({
      KC_BOOTSTRAP_ADMIN_USERNAME: ADMIN.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
      JAVA_OPTS_KC_HEAP: '-Xms64m -Xmx512m',
      // C1 only: a short-lived test server starts ~2 s faster and never runs long enough for C2 to pay off.
      JAVA_OPTS_APPEND: '-XX:TieredStopAtLevel=1',
      KC_LOG_LEVEL: 'warn',
    })
    .withCopyContentToContainer([...(ownImage ? [] : realmFiles()), ...tlsFiles])
    .withExposedPorts(8080, 9000, ...(options.tls ? [8443] : []))
    .withWaitStrategy(options.tls ? health.usingTls().allowInsecure() : health)
    .start();
  const baseUrl = `http://${container.getHost()}:${container.getMappedPort(8080)}${relativePath}`;
  const httpsUrl = options.tls ? `https://${container.getHost()}:${container.getMappedPort(8443)}${relativePath}` : undefined;
  let stopped: Promise<unknown> | undefined;
  return {
    baseUrl,
    httpsUrl,
    api: new KeycloakApi(baseUrl),
    container,
    startupMs: Date.now() - started,
    stop: async () => {
      stopped ??= container.stop({ timeout: 5_000 });
      await stopped;
    },
  };
}

// Before 26.6, as scripts/keycloak-image.sh builds it: federated client authentication
// is a preview, built in; and the server runs the legacy way, under /auth, as Keycloak
// <= 16 did and many deployments still do.
const isPre26_6 = (version: string) => /^26\.[0-5]\./.test(version);

function buildFeatures(version: string): string[] {
  return isPre26_6(version) ? ['--features=client-auth-federated'] : [];
}

/** Where the server serves its endpoints (--http-relative-path). */
function relativePathOf(version: string): string {
  return isPre26_6(version) ? '/auth' : '';
}

function realmFiles() {
  return readdirSync(REALMS_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({
      content: readFileSync(join(REALMS_DIR, name)),
      target: `/opt/keycloak/data/import/${name}`,
    }));
}
