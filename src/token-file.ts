// The access token as a file, for AWS_WEB_IDENTITY_TOKEN_FILE and tools that
// read a token from disk. The directory is private (0700), the file 0600, and
// the post step deletes the directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

const DIR_PREFIX = 'keycloak-token-';
const FILE_NAME = 'access-token';

/** Where the token file goes: the runner's per-job temp directory, emptied after each job. */
export function tokenFileParent(): string {
  return process.env.RUNNER_TEMP || tmpdir();
}

export function writeTokenFile(parentDir: string, token: string): string {
  const dir = mkdtempSync(join(parentDir, DIR_PREFIX));
  const file = join(dir, FILE_NAME);
  writeFileSync(file, token, { mode: 0o600, flag: 'wx' });
  return file;
}

/** Deletes a file made by writeTokenFile, refusing any other path. Returns whether it deleted. */
export function removeTokenFile(parentDir: string, file: string): boolean {
  const dir = dirname(resolve(file));
  const ours =
    basename(file) === FILE_NAME && basename(dir).startsWith(DIR_PREFIX) && dirname(dir) === resolve(parentDir);
  if (!ours) return false;
  rmSync(dir, { recursive: true, force: true });
  return true;
}
