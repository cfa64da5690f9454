// keep-fresh in the main step: the session, the keycloak-token command for later
// steps (a POSIX script and a Windows shim that run the bundled token command
// with this Node), an AWS profile whose credential_process calls it, and the
// background refresher for the token file. Everything lives in a 0700 folder
// under RUNNER_TEMP; the post step ends it (endSession).
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionInputs } from '../inputs.js';
import type { TokenResult } from '../keycloak/token-result.js';
import type { TemporaryCredentials } from '../s3/sts-response.js';
import type { Session } from './session.js';
import { createStateDir, readSession, writePrivateFile, writeSession } from './session.js';

export interface TokenCommandSetup {
  /** The keycloak-token script; its folder goes on PATH. */
  command: string;
  stateDir: string;
  /** With role-arn: the shared AWS config file and this session's profile in it. */
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
  };
}

export function setUpTokenCommand(session: Session, options: SetupOptions): TokenCommandSetup {
  const base = mkdtempSync(join(options.runnerTemp, 'keycloak-keep-fresh-'));
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
  if (session.tokenFile !== undefined) startRefresher(options, stateDir, session);
  return { command, stateDir, aws };
}

/** The post step: stops the refresher and deletes the session; returns its refresh tokens, newest and stored. */
export function endSession(stateDir: string): Pick<Session, 'refreshToken' | 'storedRefreshToken'> | undefined {
  if (!existsSync(stateDir)) return undefined;
  try {
    const { refreshToken, storedRefreshToken, refresherPid } = readSession(stateDir);
    if (refresherPid !== undefined) stopProcess(refresherPid);
    return { refreshToken, storedRefreshToken };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
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

function startRefresher(options: SetupOptions, stateDir: string, session: Session): void {
  // The session is written first: the refresher reads it as it starts.
  const child = spawn(options.node, [options.script, stateDir, 'refresher'], { detached: true, stdio: 'ignore' });
  child.unref();
  writeSession(stateDir, { ...session, refresherPid: child.pid });
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
