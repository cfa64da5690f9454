// keep-fresh's set-up and end, from the source: paths it refuses, a failed
// set-up that leaves nothing behind, and an end that waits for a refresh
// under way and takes its newest refresh token.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/input-values.js';
import type { Session } from '../../src/token-command/session.js';
import { SessionGone, readSession, writeSession } from '../../src/token-command/session.js';
import { endSession, setUpTokenCommand } from '../../src/token-command/setup.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'keep-fresh-setup-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const CLIENT_SECRET = 'Client7Secret-setup';

function session(overrides: Partial<Session> = {}): Session {
  return {
    version: 1,
    connection: { keycloakUrl: 'http://127.0.0.1:9', realm: 'test', timeoutMs: 1_000, retries: 0, retryAfterSend: false, rotation: 'on' },
    client: { clientId: 'ceph-s3', clientSecret: CLIENT_SECRET, clientAuth: 'post', oidcAudience: undefined },
    scope: undefined,
    audience: undefined,
    extraCas: [],
    refreshToken: 'Refresh1Token-rotated',
    storedRefreshToken: 'Refresh0Token-stored',
    accessToken: 'Access1Token',
    accessExpiresAt: undefined,
    accessLifetimeMs: undefined,
    role: undefined,
    credentials: undefined,
    tokenFile: undefined,
    refresherPid: undefined,
    ...overrides,
  } as Session;
}

const options = (runnerTemp: string) => ({ runnerTemp, node: process.execPath, script: join(root, 'no-such-script.js'), awsProfile: 'keycloak', region: undefined });
const role: Session['role'] = { roleArn: 'arn:aws:iam:::role/ci', stsEndpoint: 'http://127.0.0.1:9', s3Endpoint: 'http://127.0.0.1:9', durationSeconds: 3600, roleSessionName: 'ci' };

describe('setUpTokenCommand', () => {
  it.each([
    ['a double quote', 'temp"dir'],
    ['a percent sign', 'temp%PATH%dir'],
    ['a line break', 'temp\ndir'],
    ['a lone carriage return', 'temp\rdir'],
  ])('refuses a RUNNER_TEMP with %s, in one line naming it, before anything is written', (_, name) => {
    const runnerTemp = join(root, name);
    mkdirSync(runnerTemp);
    const error = (() => {
      try {
        setUpTokenCommand(session(), options(runnerTemp));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/RUNNER_TEMP/);
    expect((error as Error).message).not.toMatch(/[\r\n]/);
    expect(readdirSync(runnerTemp)).toEqual([]);
  });

  it('leaves no secret behind when it fails half-way ($RUNNER_TEMP/keycloak-aws is a file)', () => {
    writeFileSync(join(root, 'keycloak-aws'), 'not a folder');
    expect(() => setUpTokenCommand(session({ role }), options(root))).toThrow(/EEXIST/);
    expect(readdirSync(root)).toEqual(['keycloak-aws']);
  });
});

describe('endSession', () => {
  it('waits for a refresh under way and returns the refresh token it wrote', async () => {
    const { stateDir } = setUpTokenCommand(session(), options(root));
    // Another keycloak-token call holds the lock: Keycloak has issued R2, the session still says R1.
    const lockDir = join(stateDir, 'lock');
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, 'owner'), String(process.pid));
    const refreshing = (async () => {
      await sleep(300);
      writeSession(stateDir, session({ refreshToken: 'Refresh2Token-newest' }));
      rmSync(lockDir, { recursive: true });
    })();
    const ended = await endSession(stateDir, { sleep, now: Date.now });
    await refreshing;
    expect(ended).toMatchObject({ refreshToken: 'Refresh2Token-newest', storedRefreshToken: 'Refresh0Token-stored' });
  });

  it('ends the session for later callers and stops the refresher', async () => {
    const refresher = spawn('sleep', ['30'], { stdio: 'ignore' });
    const exited = new Promise((done) => refresher.on('exit', (_, signal) => done(signal)));
    const { stateDir } = setUpTokenCommand(session(), options(root));
    writeSession(stateDir, session({ refresherPid: refresher.pid }));
    await endSession(stateDir, { sleep, now: Date.now });
    expect(() => readSession(stateDir)).toThrow(SessionGone);
    expect(await exited).toBe('SIGTERM');
    expect(existsSync(join(stateDir, 'lock'))).toBe(false);
  });
});
