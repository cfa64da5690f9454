// GitHub's secrets API takes values sealed to the repository's public key
// (libsodium's crypto_box_seal). libsodium is loaded only when a secret is
// stored, so every other run starts without it.
export async function sealForGitHub(value: string, publicKeyBase64: string): Promise<string> {
  const { default: sodium } = await import('libsodium-wrappers');
  await sodium.ready;
  const key = sodium.from_base64(publicKeyBase64, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(value, key), sodium.base64_variants.ORIGINAL);
}
