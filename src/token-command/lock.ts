// One refresh at a time across processes. The lock is a `lock` folder that
// appears whole or not at all: a taker writes its owner file (pid, host, a
// nonce of its own, since when) into a new folder `lock.<nonce>` and renames
// that onto `lock`; a rename onto a folder that holds a file fails, so exactly
// one taker wins, and a `lock` without an owner file is never made here.
// Everyone removes only a lock that carries its own nonce (moved aside first,
// then checked), so a holder that outlived its time never deletes its
// successor's lock. A lock is broken
// - at once when its owner process is dead (same host: pids of another host or
//   container say nothing here);
// - when its owner lives, only after `maxHoldMs`, the longest a holder can take;
// - without a readable owner file (not made by this code), after OWNERLESS_STALE_MS.
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export interface LockDeps {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export class LockTimeout extends Error {}

export interface LockOwner {
  pid: number;
  host: string;
  nonce: string;
  /** Milliseconds since the epoch, by the owner's clock (LockDeps.now). */
  since: number;
}

/** A `lock` folder without a readable owner file is broken once it is this old. */
export const OWNERLESS_STALE_MS = 5_000;
/** A waiter gives up this long after the longest hold: by then a stuck holder has been broken. */
const WAIT_MARGIN_MS = 5_000;
const POLL_MS = 25;

/**
 * Runs `work` holding the lock at `lockDir`.
 * @param maxHoldMs the longest a live holder may keep the lock (its worst case): only then is its lock
 *   broken; a caller waits for the lock that long, plus a margin, before it gives up with LockTimeout.
 */
export async function withLock<T>(lockDir: string, maxHoldMs: number, deps: LockDeps, work: () => Promise<T>): Promise<T> {
  const deadline = deps.now() + maxHoldMs + WAIT_MARGIN_MS;
  const owner: LockOwner = { pid: process.pid, host: hostname(), nonce: newNonce(), since: 0 };
  for (;;) {
    owner.since = deps.now();
    if (tryLock(lockDir, owner)) break;
    const holder = readOwner(lockDir);
    if (holder !== undefined && isStale(holder, maxHoldMs, deps.now())) {
      removeIfHeldBy(lockDir, holder);
      // Gone: take it at once. Taken by another meanwhile: judged again after a pause.
      if (!existsSync(lockDir)) continue;
    }
    if (deps.now() > deadline) {
      throw new LockTimeout(`could not take the lock in ${Math.round((maxHoldMs + WAIT_MARGIN_MS) / 1000)} s: other keycloak-token calls held it all that time`);
    }
    await deps.sleep(POLL_MS);
  }
  try {
    return await work();
  } finally {
    removeIfHeldBy(lockDir, owner);
  }
}

/** The lock's owner as its file says; 'ownerless' with the folder's age when it has no readable one; undefined when there is no lock. */
function readOwner(lockDir: string): LockOwner | { ownerless: true; mtimeMs: number } | undefined {
  let mtimeMs: number;
  try {
    mtimeMs = lstatSync(lockDir).mtimeMs;
  } catch {
    return undefined;
  }
  try {
    const owner = JSON.parse(readFileSync(join(lockDir, 'owner'), 'utf8')) as Partial<LockOwner>;
    const { pid, host, nonce, since } = owner;
    if (Number.isInteger(pid) && typeof host === 'string' && typeof nonce === 'string' && nonce !== '' && typeof since === 'number') {
      return { pid: pid as number, host, nonce, since };
    }
  } catch {
    // No owner file, or not ours: judged by age.
  }
  return { ownerless: true, mtimeMs };
}

/** Whether a live process on this host has this pid; undefined when the pid belongs to another host. */
function ownerAlive(owner: Pick<LockOwner, 'pid' | 'host'>): boolean | undefined {
  if (owner.host !== hostname()) return undefined;
  return processAlive(owner.pid);
}

function tryLock(lockDir: string, owner: LockOwner): boolean {
  // A rename replaces an EMPTY folder: a bare `lock` must be judged, not overwritten.
  if (existsSync(lockDir)) return false;
  const staging = `${lockDir}.${owner.nonce}`;
  mkdirSync(staging, { mode: 0o700 });
  try {
    writeFileSync(join(staging, 'owner'), JSON.stringify(owner), { mode: 0o600 });
    renameSync(staging, lockDir);
    return true;
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Windows refuses a directory renamed onto another with EPERM (or EACCES, EBUSY): lost the race there too.
    if (['ENOTEMPTY', 'EEXIST', 'ENOTDIR', 'EISDIR', 'EPERM', 'EACCES', 'EBUSY'].includes((error as { code?: string }).code ?? '')) return false;
    throw error;
  }
}

function isStale(holder: NonNullable<ReturnType<typeof readOwner>>, maxHoldMs: number, now: number): boolean {
  if ('ownerless' in holder) return now - holder.mtimeMs > OWNERLESS_STALE_MS;
  if (ownerAlive(holder) === false) return true;
  return now - holder.since > maxHoldMs;
}

/**
 * Removes the lock if it is still the one judged (same nonce, or still owner-less):
 * moved aside first, so that a successor's lock taken meanwhile is put back, not deleted.
 */
function removeIfHeldBy(lockDir: string, expected: NonNullable<ReturnType<typeof readOwner>>): void {
  const sameLock = (found: ReturnType<typeof readOwner>): boolean =>
    found !== undefined && ('ownerless' in expected ? 'ownerless' in found : !('ownerless' in found) && found.nonce === expected.nonce);
  if (!sameLock(readOwner(lockDir))) return;
  const aside = `${lockDir}.gone.${newNonce()}`;
  try {
    renameSync(lockDir, aside);
  } catch (error) {
    // Gone already; or, on Windows, held open by a reader: left for its age to break.
    if (['ENOENT', 'EPERM', 'EACCES', 'EBUSY'].includes((error as { code?: string }).code ?? '')) return;
    throw error;
  }
  if (!sameLock(readOwner(aside))) {
    try {
      renameSync(aside, lockDir);
      return;
    } catch {
      // Taken again in the microseconds between: the moved lock's owner finds another nonce and leaves it.
    }
  }
  rmSync(aside, { recursive: true, force: true });
}

/** Whether a process with this pid runs on this host (one of another user counts). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function newNonce(): string {
  return randomBytes(12).toString('hex');
}
