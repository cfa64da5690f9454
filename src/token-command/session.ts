// What the token command needs between calls, in a private folder under
// RUNNER_TEMP: a 0700 `state` folder holding session.json (0600) and the lock.
// Written atomically (a new file renamed over the old), so a reader never sees
// half a session. The post step deletes the state folder.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AudienceInputs } from '../keycloak/audience-inputs.js';
import type { ClientInputs } from '../keycloak/client-auth/client-auth-inputs.js';
import type { ConnectionInputs } from '../keycloak/connection-inputs.js';
import type { S3Role } from '../s3/role-inputs.js';

export interface StoredCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface Session {
  version: 1;
  connection: ConnectionInputs;
  client: ClientInputs;
  scope: string | undefined;
  /** With exchange-only the command hands out the narrowed token: exchanged again after each refresh. */
  audience: AudienceInputs | undefined;
  /** ca-certificate's PEM blocks, for keycloak-url and sts-endpoint only. */
  extraCas: string[];
  /** '' with client-auth: github-oidc and no stored token: each refresh is a client_credentials grant. */
  refreshToken: string;
  /** What update-secret's secret holds now: the post step stores refreshToken when it differs (rotation). */
  storedRefreshToken: string;
  accessToken: string;
  /** Milliseconds since the epoch; undefined when Keycloak gave no expires_in. */
  accessExpiresAt: number | undefined;
  accessLifetimeMs: number | undefined;
  role: (S3Role & { roleSessionName: string }) | undefined;
  credentials: StoredCredentials | undefined;
  /** The token file the background refresher keeps fresh. */
  tokenFile: string | undefined;
  refresherPid: number | undefined;
  /** revoke-on-post: keep every access token minted here for the post step to revoke. */
  revokeOnPost?: boolean;
  /**
   * With revokeOnPost: each access token keycloak-token and the refresher minted (the
   * full one and, with exchange-audience, the narrowed one), added under the lock as it comes;
   * expired ones are dropped as new ones come.
   */
  mintedAccessTokens?: string[];
  /**
   * Written (atomically, like the rest) before a refresh token is sent, cleared with the
   * new one: found by the next lock holder, it says that a refresh did not store its
   * result, so that with rotation its new refresh token may be lost.
   */
  pendingRefresh?: PendingRefresh;
  /** The last time Keycloak or RGW's STS could not be reached: callers serve what they hold for a few seconds before trying again. */
  outage?: Outage;
}

export interface PendingRefresh {
  pid: number;
  /** Milliseconds since the epoch. */
  since: number;
  /** Sent, but the answer was lost (a timeout, a reset connection): Keycloak may have rotated the token. */
  unanswered?: boolean;
}

export interface Outage {
  service: 'keycloak' | 'sts';
  /** Milliseconds since the epoch. */
  at: number;
  /** The failure's one-line message (no token: built from host names and safe outside text). */
  reason: string;
}

export class SessionGone extends Error {
  constructor(stateDir: string) {
    super(`the session in ${stateDir} has ended: the Keycloak token action's post step deletes it at the end of the job (or it was never set up). Run the action with keep-fresh: true in this job first.`);
    this.name = 'SessionGone';
  }
}

const SESSION_FILE = 'session.json';

export function createStateDir(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  chmodSync(stateDir, 0o700);
}

export function readSession(stateDir: string): Session {
  const file = join(stateDir, SESSION_FILE);
  if (!existsSync(file)) throw new SessionGone(stateDir);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Session;
  } catch (error) {
    // JSON.parse quotes a piece of what it could not read: here, a token.
    // eslint-disable-next-line preserve-caught-error -- the cause would carry that piece
    if (error instanceof SyntaxError) throw new Error(`${file} is not a session this action wrote (not JSON).`);
    throw error;
  }
}

export function writeSession(stateDir: string, session: Session): void {
  if (!existsSync(stateDir)) throw new SessionGone(stateDir);
  writePrivateFile(join(stateDir, SESSION_FILE), JSON.stringify(session));
}

/** Writes a 0600 file by renaming a new one over it: readers see the old or the new content, never a mix. */
export function writePrivateFile(file: string, content: string): void {
  const fresh = `${file}.${process.pid}.${Date.now()}.new`;
  writeFileSync(fresh, content, { mode: 0o600, flag: 'wx' });
  renameSync(fresh, file);
}
