// The ca-certificate input: PEM text or the path of a PEM file, trusted for the
// connections to keycloak-url and sts-endpoint only (transport.ts adds them to
// Node's CAs, NODE_EXTRA_CA_CERTS included, per request), never for GitHub's API
// or the runner's OIDC endpoint. Certificate checks stay on: there is no switch
// to skip them. node:crypto is loaded when a certificate is given, not when the
// bundle starts (`npm run benchmark -- --startup-only` measures the start-up).
import { readFileSync } from 'node:fs';
import { InputError } from './input-values.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates in the input, validated; [] when it is empty. */
export function readCaCertificates(value: string): string[] {
  if (value.trim() === '') return [];
  const text = value.includes('-----BEGIN') ? value : readPemFile(value.trim());
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw new InputError('ca-certificate', 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  const { X509Certificate } = process.getBuiltinModule('node:crypto');
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new InputError('ca-certificate', 'holds a PEM block that is not a valid X.509 certificate');
    }
  }
  return blocks;
}

function readPemFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unreadable';
    // Not the value: a mistyped secret or PEM would be printed with it.
    throw new InputError('ca-certificate', `is neither PEM text nor a readable file (${code})`);
  }
}
