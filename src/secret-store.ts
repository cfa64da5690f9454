// update-secret, from the main step and from keep-fresh's post step: a new
// refresh token stored in the repository's (or environment's) secret.
import type { SecretTarget } from './github/github-secret.js';
import { updateSecret } from './github/github-secret.js';
import { sealForGitHub } from './github/sealed-box.js';
import type { TokenResult } from './keycloak/token-result.js';
import { log } from './runner-log.js';
import { sendRequest } from './transport.js';

/** Stores the result's refresh token when it is new; returns whether it did. */
export async function storeNewRefreshToken(target: SecretTarget, sentRefreshToken: string, result: TokenResult): Promise<boolean> {
  if (result.refreshToken === '' || result.refreshToken === sentRefreshToken) {
    log.info(`The refresh token did not change: secret ${target.name} is left as it is.`);
    return false;
  }
  await storeRefreshToken(target, result.refreshToken);
  return true;
}

export async function storeRefreshToken(target: SecretTarget, refreshToken: string): Promise<void> {
  await updateSecret(target, refreshToken, sendRequest, sealForGitHub);
  log.info(`Stored the new refresh token in secret ${target.name}${target.environment ? ` (environment ${target.environment})` : ''}.`);
}
