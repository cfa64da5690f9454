// keep-fresh from the action's side: the main step sets up the keycloak-token
// command and AWS profile for later steps (src/token-command/), the post step
// ends the session and, with rotation, stores the newest refresh token.
import { dirname, join } from 'node:path';
import type { SecretTarget } from './github/github-secret.js';
import { DEFAULT_REGION } from './outputs.js';
import { publishTokenCommand } from './publish.js';
import { log } from './runner-log.js';
import { storeRefreshToken } from './secret-store.js';
import { DEFAULT_AWS_PROFILE } from './token-command/keep-fresh-inputs.js';
import type { RunOutcome } from './token-command/setup.js';
import { endSession, sessionFor, setUpTokenCommand } from './token-command/setup.js';
import { tokenFileParent } from './token-file.js';

export function startKeepFresh(outcome: RunOutcome): void {
  const setup = setUpTokenCommand(sessionFor(outcome), {
    runnerTemp: tokenFileParent(),
    node: process.execPath,
    // The runner runs dist/index.js; the token command's bundle sits beside it.
    script: join(dirname(process.argv[1] ?? ''), 'token-command', 'index.js'),
    awsProfile: outcome.inputs.keepFresh.awsProfile ?? DEFAULT_AWS_PROFILE,
    region: DEFAULT_REGION,
  });
  publishTokenCommand(setup);
}

/** `secretTarget` is asked only when there is a newer refresh token to store. */
export async function endKeepFresh(stateDir: string, secretTarget: () => SecretTarget | undefined): Promise<void> {
  const ended = endSession(stateDir);
  log.info('Ended the keep-fresh session: keycloak-token now says so, and the background refresher has stopped.');
  // With rotation the command may have used up the refresh token the main step stored.
  if (ended === undefined || ended.refreshToken === ended.storedRefreshToken || ended.refreshToken === '') return;
  const target = secretTarget();
  if (target !== undefined) await storeRefreshToken(target, ended.refreshToken);
}
