// The sealed box GitHub's API expects is libsodium's crypto_box_seal: what
// sealForGitHub makes, libsodium must open.
import sodium from 'libsodium-wrappers';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealForGitHub } from '../../src/github/sealed-box.js';

let keys: { publicKey: Uint8Array; privateKey: Uint8Array };
let publicKey: string;
beforeAll(async () => {
  await sodium.ready;
  keys = sodium.crypto_box_keypair();
  publicKey = sodium.to_base64(keys.publicKey, sodium.base64_variants.ORIGINAL);
});

describe('sealForGitHub', () => {
  it.each(['eyJhbGciOiJIUzUxMiJ9.eyJ0eXAiOiJPZmZsaW5lIn0.c2ln', 'ünïcödé, spaces and 🔑', 'x'.repeat(64 * 1024)])('is opened by libsodium: %#', async (value) => {
    const sealed = sodium.from_base64(await sealForGitHub(value, publicKey), sodium.base64_variants.ORIGINAL);
    expect(sodium.to_string(sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey))).toBe(value);
  });

  it('refuses a key that is not 32 bytes', async () => {
    await expect(sealForGitHub('v', Buffer.alloc(16).toString('base64'))).rejects.toThrow('not a 32-byte X25519 key');
  });
});
