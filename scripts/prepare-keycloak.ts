// `npm run keycloak:image`: the Docker engine, every Keycloak image the suite uses and
// the Ceph RGW image, ready before the tests (which would otherwise do it themselves).
import { prepareTestEnvironment } from '../test/integration/support/environment.js';
import { COMPAT_VERSION, DEFAULT_VERSION } from '../test/integration/support/keycloak-container.js';

await prepareTestEnvironment({ keycloakVersions: [DEFAULT_VERSION, COMPAT_VERSION], ceph: true });
