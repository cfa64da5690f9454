// `npm run keycloak:image`: the Docker engine and every Keycloak image the
// suite uses, ready before the tests (which would otherwise do it themselves).
import { prepareKeycloakEnvironment } from '../test/integration/support/environment.js';
import { COMPAT_VERSION, DEFAULT_VERSION } from '../test/integration/support/keycloak-container.js';

prepareKeycloakEnvironment([DEFAULT_VERSION, COMPAT_VERSION]);
