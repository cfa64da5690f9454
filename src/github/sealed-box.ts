// GitHub's secrets API takes values sealed to the repository's public key with
// libsodium's crypto_box_seal: an ephemeral X25519 key pair, the nonce
// BLAKE2b-192(ephemeral public key || recipient public key), and
// crypto_box(XSalsa20-Poly1305); the sealed value is the ephemeral public key
// followed by the box. Built from tweetnacl and blakejs (about 40 kB) rather
// than libsodium (430 kB); test/github/sealed-box.test.ts opens it with libsodium.
// Loaded only when a secret is stored.
export async function sealForGitHub(value: string, publicKeyBase64: string): Promise<string> {
  const [{ default: nacl }, { blake2b }] = await Promise.all([import('tweetnacl'), import('blakejs')]);
  const recipient = Uint8Array.from(Buffer.from(publicKeyBase64, 'base64'));
  if (recipient.length !== nacl.box.publicKeyLength) throw new Error('the public key is not a 32-byte X25519 key');
  const ephemeral = nacl.box.keyPair();
  const nonce = blake2b(Buffer.concat([ephemeral.publicKey, recipient]), undefined, nacl.box.nonceLength);
  const box = nacl.box(new TextEncoder().encode(value), nonce, recipient, ephemeral.secretKey);
  return Buffer.concat([ephemeral.publicKey, box]).toString('base64');
}
