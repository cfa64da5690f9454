// Where a new refresh token is stored back: update-secret, secret-environment
// and update-secret-token.
import type { InputReader } from '../input-values.js';
import { InputError, optionalSingleLine } from '../input-values.js';
import type { SecretTarget } from './github-secret.js';

export interface SecretUpdate {
  name: string;
  environment: string | undefined;
  githubToken: string;
}

export function parseSecretUpdate(read: InputReader): SecretUpdate | undefined {
  const name = optionalSingleLine(read, 'update-secret');
  const githubToken = optionalSingleLine(read, 'update-secret-token');
  const environment = optionalSingleLine(read, 'secret-environment');
  if (name === undefined) {
    if (githubToken !== undefined) throw new InputError('update-secret-token', 'is only used with update-secret');
    if (environment !== undefined) throw new InputError('secret-environment', 'is only used with update-secret');
    return undefined;
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || /^GITHUB_/i.test(name)) {
    throw new InputError('update-secret', 'must be a secret name: letters, digits and _, not starting with a digit or GITHUB_');
  }
  if (githubToken === undefined) {
    throw new InputError('update-secret-token', 'is required with update-secret: a token allowed to write secrets (GITHUB_TOKEN is not)');
  }
  return { name, environment, githubToken };
}

/** The secret to write, in the repository the runner names. */
export function secretTarget(update: SecretUpdate, env: NodeJS.ProcessEnv): SecretTarget {
  const repository = env.GITHUB_REPOSITORY ?? '';
  if (!/^[^/\s]+\/[^/\s]+$/.test(repository)) {
    throw new InputError('update-secret', 'needs GITHUB_REPOSITORY (owner/name), which the runner sets');
  }
  const { name, environment, githubToken } = update;
  return { apiUrl: env.GITHUB_API_URL || 'https://api.github.com', repository, environment, name, token: githubToken };
}
