// A public client has no credential: it only names itself.
import type { ClientAuthentication } from './client-authentication.js';

export function publicClient(clientId: string): ClientAuthentication {
  return {
    description: `public client '${clientId}'`,
    namesClient: true,
    derivedSecrets: [],
    async authenticate({ form }) {
      form.set('client_id', clientId);
      return {};
    },
  };
}
