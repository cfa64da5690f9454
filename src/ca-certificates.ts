// The ca-certificate input: PEM text or the path of a PEM file, added to the
// CAs this process trusts (Node's bundled ones, plus NODE_EXTRA_CA_CERTS when
// set). Certificate checks stay on: there is no switch to skip them.
// node:crypto and node:tls are loaded when a certificate is given, not when
// the bundle starts, which they would slow down (`npm run benchmark --
// --startup-only` measures the start-up).
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
    throw new InputError('ca-certificate', `is neither PEM text nor a readable file (${code}: ${path})`);
  }
}

/** Adds the certificates to every TLS connection this process makes, proxies' tunnels included. */
export function trustCertificates(certificates: string[]): void {
  if (certificates.length === 0) return;
  const tls = process.getBuiltinModule('node:tls');
  if (typeof tls.setDefaultCACertificates !== 'function') {
    throw new InputError('ca-certificate', `needs Node 22.19 or later (this is ${process.version}); the action runs on node24`);
  }
  tls.setDefaultCACertificates([...tls.getCACertificates('default'), ...certificates]);
}
