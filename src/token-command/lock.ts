// One refresh at a time across processes: a lock folder made with mkdir, which
// either creates it or fails, holding the owner's pid. A lock whose owner has
// died, or that is older than the longest refresh can take, is broken.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LockDeps {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

export class LockTimeout extends Error {}

export async function withLock<T>(lockDir: string, waitMs: number, deps: LockDeps, work: () => Promise<T>): Promise<T> {
  const deadline = deps.now() + waitMs;
  while (!tryLock(lockDir)) {
    if (isStale(lockDir, waitMs, deps.now())) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (deps.now() > deadline) throw new LockTimeout(`another keycloak-token call held the lock for over ${Math.round(waitMs / 1000)} s`);
    await deps.sleep(25);
  }
  try {
    return await work();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function tryLock(lockDir: string): boolean {
  try {
    mkdirSync(lockDir, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return false;
    throw error;
  }
  writeFileSync(join(lockDir, 'owner'), String(process.pid));
  return true;
}

function isStale(lockDir: string, maxHoldMs: number, now: number): boolean {
  try {
    const owner = Number(readFileSync(join(lockDir, 'owner'), 'utf8'));
    if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) return true;
    return now - statSync(lockDir).mtimeMs > maxHoldMs;
  } catch {
    // Taken a moment ago and the owner file not written yet, or released meanwhile.
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
