// A confidential client's secret, in the form body (client_secret_post) or as
// HTTP Basic (client_secret_basic), as RFC 6749 section 2.3.1 describes both.
import type { ClientAuthentication } from './client-authentication.js';

export function clientSecret(clientId: string, secret: string, method: 'post' | 'basic'): ClientAuthentication {
  return {
    description: `confidential client '${clientId}', secret sent by ${method}`,
    namesClient: true,
    derivedSecrets: method === 'basic' ? [basicAuthorization(clientId, secret).slice('Basic '.length)] : [],
    async authenticate({ form, headers }) {
      if (method === 'basic') {
        headers.Authorization = basicAuthorization(clientId, secret);
      } else {
        form.set('client_id', clientId);
        form.set('client_secret', secret);
      }
      return {};
    },
  };
}

// id and secret are form-urlencoded before they are joined.
export function basicAuthorization(clientId: string, secret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`;
}
