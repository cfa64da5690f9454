// The cross-process lock of the token command, with an injected clock: a live
// holder keeps its lock for as long as it may take and no longer, a release
// removes only the releaser's own lock, and locks whose owner died (a killed
// process) or that have no owner file are broken, the first at once.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withLock } from '../../src/token-command/lock.js';
import { ACTION_ROOT } from '../support/action-definition.js';

/** A clock that only moves when told, or when the lock sleeps; each sleep also lets other promises run. */
function fakeClock() {
  let t = Date.now();
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
    sleep: async (ms: number) => {
      t += ms;
      await new Promise((done) => setImmediate(done));
    },
  };
}

function gate() {
  let open = () => {};
  const opened = new Promise<void>((done) => (open = done));
  return { open, opened };
}

/** Lets the waiting side poll a few hundred times (a few seconds of fake time). */
async function letOthersRun(rounds = 200): Promise<void> {
  for (let round = 0; round < rounds; round++) await new Promise((done) => setImmediate(done));
}

const lockDirIn = () => join(mkdtempSync(join(tmpdir(), 'lock-test-')), 'lock');
const LIMIT_MS = 60_000;

describe('withLock', () => {
  it('keeps a live holder slower than the old 2 x timeout + 5 s threshold: its successor waits, then takes the lock after it', async () => {
    const clock = fakeClock();
    const lockDir = lockDirIn();
    const events: string[] = [];
    const holderDone = gate();
    const holder = withLock(lockDir, LIMIT_MS, clock, async () => {
      events.push('holder in');
      // A refresh, a token exchange and an STS call of 14 s each: longer than 2 x 15 s + 5 s.
      clock.advance(42_000);
      await holderDone.opened;
      events.push('holder out');
    });
    const successor = withLock(lockDir, LIMIT_MS, clock, async () => void events.push('successor in'));
    await letOthersRun();
    expect(events).toEqual(['holder in']);
    holderDone.open();
    await Promise.all([holder, successor]);
    expect(events).toEqual(['holder in', 'holder out', 'successor in']);
    expect(existsSync(lockDir)).toBe(false);
  });

  it("breaks a live holder's lock only past the limit, and that holder's release leaves its successor's lock alone", async () => {
    const clock = fakeClock();
    const lockDir = lockDirIn();
    const holderDone = gate();
    const successorIn = gate();
    const successorDone = gate();
    const holder = withLock(lockDir, LIMIT_MS, clock, async () => {
      clock.advance(LIMIT_MS - 5_000);
      await holderDone.opened;
    });
    let successorOwner = '';
    const successor = withLock(lockDir, LIMIT_MS, clock, async () => {
      successorOwner = readFileSync(join(lockDir, 'owner'), 'utf8');
      successorIn.open();
      await successorDone.opened;
    });
    await letOthersRun(20);
    expect(successorOwner).toBe('');
    // The holder overruns its limit: its lock is broken, and the successor holds the lock.
    clock.advance(6_000);
    await successorIn.opened;
    holderDone.open();
    await holder;
    expect(existsSync(lockDir)).toBe(true);
    expect(readFileSync(join(lockDir, 'owner'), 'utf8')).toBe(successorOwner);
    successorDone.open();
    await successor;
    expect(existsSync(lockDir)).toBe(false);
  });

  it('breaks the lock of a killed holder at once', async () => {
    const lockDir = lockDirIn();
    const module = resolve(ACTION_ROOT, 'src/token-command/lock.ts');
    const script = `import { withLock } from ${JSON.stringify(module)};
      setInterval(() => {}, 1000);
      void withLock(${JSON.stringify(lockDir)}, 60000, { now: Date.now, sleep: (ms) => new Promise((done) => setTimeout(done, ms)) }, () => new Promise(() => {}));`;
    // One process (no tsx wrapper around it): the one that owns the lock is the one killed.
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: ACTION_ROOT, stdio: 'ignore' });
    for (let waited = 0; !existsSync(join(lockDir, 'owner')); waited += 50) {
      if (waited > 20_000) throw new Error('the holder never took the lock');
      await sleep(50);
    }
    const exited = new Promise((done) => holder.on('exit', done));
    holder.kill('SIGKILL');
    await exited;
    expect(existsSync(lockDir)).toBe(true);
    const clock = fakeClock();
    const start = clock.now();
    await withLock(lockDir, LIMIT_MS, clock, async () => undefined);
    expect(clock.now() - start).toBeLessThan(100);
  });

  it('breaks a lock folder without an owner file once it is a few seconds old', async () => {
    const clock = fakeClock();
    const lockDir = lockDirIn();
    mkdirSync(lockDir);
    const tenSecondsAgo = new Date(Date.now() - 10_000);
    utimesSync(lockDir, tenSecondsAgo, tenSecondsAgo);
    const start = clock.now();
    await withLock(lockDir, LIMIT_MS, clock, async () => undefined);
    expect(clock.now() - start).toBeLessThan(100);
  });

  it('waits for a fresh lock folder without an owner file, then breaks it by its age, long before the limit', async () => {
    const clock = fakeClock();
    const lockDir = lockDirIn();
    mkdirSync(lockDir);
    const start = clock.now();
    let tookAt = 0;
    await withLock(lockDir, LIMIT_MS, clock, async () => void (tookAt = clock.now()));
    expect(tookAt - start).toBeGreaterThanOrEqual(4_000);
    expect(tookAt - start).toBeLessThan(10_000);
  });
});
