// keep-fresh in the main step: the session, the keycloak-token command for later
// steps (a POSIX script and a Windows shim that run the bundled token command
// with this Node), an AWS profile whose credential_process calls it, and the
// background refresher for the token file. Everything lives in a 0700 folder
// under RUNNER_TEMP; the post step ends it (endSession).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ActionInputs } from '../inputs.js';
import { InputError } from '../input-values.js';
import type { TokenResult } from '../keycloak/token-result.js';
import type { TemporaryCredentials } from '../s3/sts-response.js';
import type { LockDeps } from './lock.js';
import { lockHoldLimitMs } from './fresh.js';
import { withLock } from './lock.js';
import type { Session } from './session.js';
import { SessionGone, createStateDir, readSession, writePrivateFile, writeSession } from './session.js';

/** session.ts's file in the state folder: deleting it ends the session (readSession then throws SessionGone). */
const SESSION_FILE = 'session.json';

export interface TokenCommandSetup {
  /** The keycloak-token script; its folder goes on PATH. */
  command: string;
  stateDir: string;
  /** With role-to-assume: the shared AWS config file and this session's profile in it. */
  aws: { configFile: string; profile: string } | undefined;
}

export interface SetupOptions {
  runnerTemp: string;
  /** The Node that runs the action, and the token command's bundle. */
  node: string;
  script: string;
  awsProfile: string;
  region: string | undefined;
}

export interface RunOutcome {
  inputs: ActionInputs;
  result: TokenResult;
  extraCas: string[];
  roleSessionName: string | undefined;
  credentials: TemporaryCredentials | undefined;
  tokenFile: string | undefined;
  /** The refresh token update-secret's secret holds after the main step. */
  storedRefreshToken: string;
  now: number;
}

/** What the main step leaves the token command: everything to refresh again, nothing it does not need. */
export function sessionFor(run: RunOutcome): Session {
  const { inputs, result, credentials } = run;
  const role = inputs.s3Role === undefined || run.roleSessionName === undefined ? undefined : { ...inputs.s3Role, roleSessionName: run.roleSessionName };
  return {
    version: 1,
    connection: inputs.connection,
    client: inputs.client,
    scope: inputs.tokens.scope,
    audience: inputs.audience?.only ? inputs.audience : undefined,
    extraCas: run.extraCas,
    refreshToken: result.refreshToken,
    storedRefreshToken: run.storedRefreshToken,
    accessToken: result.accessToken,
    accessExpiresAt: result.expiresAt?.getTime(),
    accessLifetimeMs: result.expiresIn === undefined ? undefined : result.expiresIn * 1000,
    role,
    credentials:
      credentials === undefined
        ? undefined
        : { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken, expiresAt: credentials.expiration?.getTime() ?? run.now },
    tokenFile: run.tokenFile,
    refresherPid: undefined,
    revokeOnPost: inputs.revocation.revokeOnPost,
    mintedAccessTokens: [],
  };
}

/**
 * Characters the set-up cannot write into the paths it puts in files: a `"`
 * ends the AWS config's quoting (botocore: "No closing quotation"), cmd.exe
 * expands `%` in the Windows shim, and a line break or other control
 * character splits either file.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const UNUSABLE_IN_PATHS = /["%\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Refuses paths the command and the AWS profile could not name; checked before anything is sent or written. */
export function checkSetupPaths(options: Pick<SetupOptions, 'runnerTemp' | 'node' | 'script'>): void {
  const paths: [string, string][] = [
    ['RUNNER_TEMP', options.runnerTemp],
    ["the path of the Node that runs the action", options.node],
    ["the action's path", options.script],
  ];
  for (const [name, path] of paths) {
    if (!UNUSABLE_IN_PATHS.test(path)) continue;
    throw new InputError(
      'keep-fresh',
      `cannot work here: ${name} (${JSON.stringify(path)}) holds a double quote, a % or a line break, which the AWS profile's credential_process and the keycloak-token.cmd shim cannot hold. Run on a runner whose ${name} has none of them, or without keep-fresh.`,
    );
  }
}

export function setUpTokenCommand(session: Session, options: SetupOptions): TokenCommandSetup {
  checkSetupPaths(options);
  const base = mkdtempSync(join(options.runnerTemp, 'keycloak-keep-fresh-'));
  let refresherPid: number | undefined;
  try {
    chmodSync(base, 0o700);
    const stateDir = join(base, 'state');
    createStateDir(stateDir);
    writeSession(stateDir, session);
    const bin = join(base, 'bin');
    mkdirSync(bin, { mode: 0o700 });
    const command = join(bin, 'keycloak-token');
    writeFileSync(command, `#!/bin/sh\nexec ${shellQuote(options.node)} ${shellQuote(options.script)} ${shellQuote(stateDir)} "$@"\n`, { mode: 0o700 });
    writeFileSync(`${command}.cmd`, `@"${options.node}" "${options.script}" "${stateDir}" %*\r\n`, { mode: 0o700 });
    const aws = session.role === undefined ? undefined : writeAwsProfile(options, stateDir, session.role.s3Endpoint);
    if (session.tokenFile !== undefined) {
      // The session is written first: the refresher reads it as it starts.
      refresherPid = startRefresher(options, stateDir);
      writeSession(stateDir, { ...session, refresherPid });
    }
    return { command, stateDir, aws };
  } catch (error) {
    // Half a set-up leaves no secret behind: the post step would not know of it.
    if (refresherPid !== undefined) stopProcess(refresherPid);
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
}

/** What the post step needs of an ended session: its newest refresh token, the stored one, and whether they rotate. */
export type EndedSession = Pick<Session, 'refreshToken' | 'storedRefreshToken'> & {
  /** The access tokens keycloak-token and the refresher minted (revoke-on-post). */
  mintedAccessTokens: string[];
  rotation: Session['connection']['rotation'];
  /** A keycloak-token refresh sent the refresh token and stored no answer (killed, or the answer lost): refreshToken may be used up. */
  unansweredRefresh: boolean;
};

/**
 * The post step's end of the session, under the session lock: it waits for a
 * keycloak-token call or the refresher that holds it (a dead holder's lock is
 * broken), so that a refresh under way is finished and written. It then ends
 * the session (later callers get SessionGone, so nothing rotates the token
 * again), stops the refresher and returns the newest refresh token. The state
 * folder stays until removeSession.
 */
export async function endSession(stateDir: string, deps: LockDeps): Promise<EndedSession | undefined> {
  let holdLimitMs: number;
  try {
    holdLimitMs = lockHoldLimitMs(readSession(stateDir));
  } catch (error) {
    if (error instanceof SessionGone) return undefined;
    throw error;
  }
  return withLock(join(stateDir, 'lock'), holdLimitMs, deps, async () => {
    let session: Session;
    try {
      session = readSession(stateDir);
    } catch (error) {
      if (error instanceof SessionGone) return undefined;
      throw error;
    }
    rmSync(join(stateDir, SESSION_FILE), { force: true });
    if (session.refresherPid !== undefined) stopProcess(session.refresherPid);
    return {
      refreshToken: session.refreshToken,
      storedRefreshToken: session.storedRefreshToken,
      mintedAccessTokens: session.mintedAccessTokens ?? [],
      rotation: session.connection.rotation,
      unansweredRefresh: session.pendingRefresh !== undefined,
    };
  });
}

/** Deletes the session's state folder (and with it every secret in it); the keycloak-token script stays and says the session ended. */
export function removeSession(stateDir: string): void {
  rmSync(stateDir, { recursive: true, force: true });
}

/** A set-up whose publishing failed: its refresher stopped and its folder gone. */
export function discardSetup(setup: TokenCommandSetup): void {
  try {
    const { refresherPid } = readSession(setup.stateDir);
    if (refresherPid !== undefined) stopProcess(refresherPid);
  } catch {
    // No session to read: nothing was started.
  }
  rmSync(dirname(setup.stateDir), { recursive: true, force: true });
}

// Several sessions in one job (several identities) share one config file, a profile each.
function writeAwsProfile(options: SetupOptions, stateDir: string, s3Endpoint: string): { configFile: string; profile: string } {
  const dir = join(options.runnerTemp, 'keycloak-aws');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const configFile = join(dir, 'config');
  const header = options.awsProfile === 'default' ? '[default]' : `[profile ${options.awsProfile}]`;
  const section = [
    header,
    // botocore splits this without a shell; the quotes keep paths with spaces whole.
    `credential_process = "${options.node}" "${options.script}" "${stateDir}" aws-credentials`,
    `endpoint_url = ${s3Endpoint}`,
    ...(options.region === undefined ? [] : [`region = ${options.region}`]),
  ].join('\n');
  const existing = existsSync(configFile) ? readFileSync(configFile, 'utf8') : '';
  const others = existing.split(/\n(?=\[)/).filter((block) => block.trim() !== '' && !block.startsWith(`${header}\n`) && block.trim() !== header);
  writePrivateFile(configFile, `${[...others.map((block) => block.trim()), section].join('\n\n')}\n`);
  return { configFile, profile: options.awsProfile };
}

function startRefresher(options: SetupOptions, stateDir: string): number | undefined {
  const child = spawn(options.node, [options.script, stateDir, 'refresher'], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid;
}

function stopProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Already gone: the runner may have ended it, or it stopped by itself.
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
