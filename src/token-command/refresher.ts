// The background process keep-fresh starts when token-file is true: it rewrites
// the token file (same path, 0600, a new file renamed over the old) before the
// token in it expires, so AWS_WEB_IDENTITY_TOKEN_FILE keeps working for any job
// length. It ends when the post step kills it or deletes the session, and the
// runner ends it with the job in any case.
import { readFileSync } from 'node:fs';
import { KeycloakError, isDeadToken } from '../keycloak/keycloak-error.js';
import type { FreshDeps } from './fresh.js';
import { accessMarginMs, freshSession } from './fresh.js';
import { SessionGone, writePrivateFile } from './session.js';

const IDLE_CHECK_MS = 30_000;
const RETRY_AFTER_FAILURE_MS = 5_000;

export async function keepTokenFileFresh(stateDir: string, deps: FreshDeps, sleep: (ms: number) => Promise<unknown>): Promise<void> {
  for (;;) {
    let wait: number;
    try {
      const session = await freshSession(stateDir, deps);
      if (session.tokenFile === undefined) return;
      if (readFileSync(session.tokenFile, 'utf8') !== session.accessToken) writePrivateFile(session.tokenFile, session.accessToken);
      const renewAt = (session.accessExpiresAt ?? Number.POSITIVE_INFINITY) - accessMarginMs(session);
      wait = Math.min(IDLE_CHECK_MS, Math.max(250, renewAt - deps.lock.now()));
    } catch (error) {
      if (error instanceof SessionGone || (error as { code?: string }).code === 'ENOENT') return;
      // A dead refresh token stays dead: the next keycloak-token call says so.
      if (error instanceof KeycloakError && isDeadToken(error)) return;
      wait = RETRY_AFTER_FAILURE_MS;
    }
    await sleep(wait);
  }
}
