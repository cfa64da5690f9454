import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCaCertificates } from '../src/ca-certificates.js';
import { InputError } from '../src/input-values.js';
import type { TestCa } from './support/test-ca.js';
import { makeTestCa } from './support/test-ca.js';

let ca: TestCa;
beforeAll(() => {
  ca = makeTestCa(['keycloak.test']);
});

describe('readCaCertificates', () => {
  it('is empty for an empty input', () => {
    expect(readCaCertificates('  ')).toEqual([]);
  });

  it('reads PEM text, one or several certificates', () => {
    expect(readCaCertificates(ca.caCert)).toEqual([ca.caCert.trim()]);
    expect(readCaCertificates(`${ca.caCert}\n${ca.serverCert}`)).toHaveLength(2);
  });

  it('reads a PEM file by path', () => {
    expect(readCaCertificates(` ${ca.caCertFile} `)).toEqual([ca.caCert.trim()]);
  });

  it.each([
    ['a missing file', () => '/no/such/ca.pem', 'neither PEM text nor a readable file (ENOENT)'],
    ['a file without certificates', () => writeAndReturn('plain.txt', 'hello'), 'holds no PEM certificate'],
    ['a private key instead', () => ca.serverKey, 'holds no PEM certificate'],
    ['a damaged certificate', () => ca.caCert.replace(/\n[^\n-]+\n/, '\n'), 'not a valid X.509 certificate'],
  ])('names the input for %s', (_, value, problem) => {
    const error = (() => {
      try {
        readCaCertificates(value());
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/^Input 'ca-certificate' /);
    expect((error as InputError).message).toContain(problem);
    expect((error as InputError).message).not.toContain('PRIVATE KEY');
  });
});

function writeAndReturn(name: string, content: string): string {
  const path = join(ca.dir, name);
  writeFileSync(path, content);
  return path;
}
