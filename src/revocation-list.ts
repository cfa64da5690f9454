// What the main step keeps for the post step to revoke (revoke-on-post): the
// access tokens it handed out and the refresh token of a fallback login nobody
// stores, in a 0600 file in a 0700 folder under RUNNER_TEMP. The state holds
// only the file's path; the post step deletes the folder after revoking.
// (keycloak-token's own tokens are kept in the keep-fresh session instead.)
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Revocation } from './keycloak/revoke.js';
import { writePrivateFile } from './token-command/session.js';

const DIR_PREFIX = 'keycloak-revoke-';
const FILE_NAME = 'tokens.json';

/** A new, empty list; returns the file's path. */
export function createRevocationList(parentDir: string): string {
  const dir = mkdtempSync(join(parentDir, DIR_PREFIX));
  chmodSync(dir, 0o700);
  const file = join(dir, FILE_NAME);
  writePrivateFile(file, JSON.stringify({ accessTokens: [], logout: undefined }));
  return file;
}

/** Adds to the list (a new file renamed over the old one: never half written). */
export function addToRevocationList(file: string, add: Partial<Revocation>): void {
  const current = readRevocationList(file);
  const next: Revocation = {
    accessTokens: [...new Set([...current.accessTokens, ...(add.accessTokens ?? []).filter((token) => token !== '')])],
    logout: add.logout || current.logout,
  };
  writePrivateFile(file, JSON.stringify(next));
}

export function readRevocationList(file: string): Revocation {
  if (!existsSync(file)) return { accessTokens: [], logout: undefined };
  let json: Partial<Revocation>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as Partial<Revocation>;
  } catch (error) {
    // JSON.parse quotes a piece of what it could not read, which may be a token: not kept as the cause.
    // eslint-disable-next-line preserve-caught-error -- the cause's message may hold a piece of a token
    if (error instanceof SyntaxError) throw new Error(`${file} is not a revocation list this action wrote (not JSON)`);
    throw error;
  }
  const accessTokens = Array.isArray(json.accessTokens) ? json.accessTokens.filter((token): token is string => typeof token === 'string' && token !== '') : [];
  return { accessTokens, logout: typeof json.logout === 'string' && json.logout !== '' ? json.logout : undefined };
}

/** Whether `file` is a list this module made under `parentDir`: nothing else is read or deleted. */
export function isRevocationList(parentDir: string, file: string): boolean {
  const dir = dirname(resolve(file));
  return basename(file) === FILE_NAME && basename(dir).startsWith(DIR_PREFIX) && dirname(dir) === resolve(parentDir);
}

export function removeRevocationList(parentDir: string, file: string): boolean {
  if (!isRevocationList(parentDir, file)) return false;
  rmSync(dirname(resolve(file)), { recursive: true, force: true });
  return true;
}
