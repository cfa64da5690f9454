// The background process keep-fresh starts when token-file is true: it rewrites
// the token file (same path, 0600, a new file renamed over the old) before the
// token in it expires, so AWS_WEB_IDENTITY_TOKEN_FILE keeps working for any job
// length. It ends when the post step kills it or deletes the session, and the
// runner ends it with the job in any case. While Keycloak cannot be reached it
// leaves the file as it is (the token in it is still valid: fresh.ts hands out
// what it holds) and tries again every 5 s; once that token has expired it
// still leaves the file, and keeps trying, until Keycloak answers or refuses
// the refresh token as dead.
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
      const untilRenew = renewAt - deps.lock.now();
      // Not renewed although due: an outage served through with the token held. Try again at the failure pace.
      wait = untilRenew <= 0 ? RETRY_AFTER_FAILURE_MS : Math.min(IDLE_CHECK_MS, Math.max(250, untilRenew));
    } catch (error) {
      if (error instanceof SessionGone || (error as { code?: string }).code === 'ENOENT') return;
      // A dead refresh token stays dead: the next keycloak-token call says so.
      if (error instanceof KeycloakError && isDeadToken(error)) return;
      wait = RETRY_AFTER_FAILURE_MS;
    }
    await sleep(wait);
  }
}
