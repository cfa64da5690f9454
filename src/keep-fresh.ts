// keep-fresh from the action's side: the main step sets up the keycloak-token
// command and AWS profile for later steps (src/token-command/), the post step
// ends the session and, with rotation, stores the newest refresh token.
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SecretTarget } from './github/github-secret.js';
import type { ActionInputs } from './inputs.js';
import { DEFAULT_REGION } from './outputs.js';
import { rememberSecret } from './outside-text.js';
import { publishTokenCommand } from './publish.js';
import { log } from './runner-log.js';
import { POST_STEP_RETRIES, storeRefreshTokenRetrying } from './secret-store.js';
import { DEFAULT_AWS_PROFILE } from './token-command/keep-fresh-inputs.js';
import type { EndedSession, RunOutcome, SetupOptions } from './token-command/setup.js';
import { checkSetupPaths, discardSetup, endSession, removeSession, sessionFor, setUpTokenCommand } from './token-command/setup.js';
import { tokenFileParent } from './token-file.js';

function setupOptions(inputs: ActionInputs): SetupOptions {
  return {
    runnerTemp: tokenFileParent(),
    node: process.execPath,
    // The runner runs dist/index.js; the token command's bundle sits beside it.
    script: join(dirname(process.argv[1] ?? ''), 'token-command', 'index.js'),
    awsProfile: inputs.keepFresh.awsProfile ?? DEFAULT_AWS_PROFILE,
    region: DEFAULT_REGION,
  };
}

/** Before any request: a RUNNER_TEMP the AWS profile or the Windows shim cannot name fails the step with nothing sent or written. */
export function checkKeepFresh(inputs: ActionInputs): void {
  if (inputs.keepFresh.keepFresh) checkSetupPaths(setupOptions(inputs));
}

export function startKeepFresh(outcome: RunOutcome): void {
  const setup = setUpTokenCommand(sessionFor(outcome), setupOptions(outcome.inputs));
  try {
    publishTokenCommand(setup);
  } catch (error) {
    // Not saved for the post step: nothing may stay behind.
    discardSetup(setup);
    throw error;
  }
}

/**
 * The post step: ends the session under its lock (after a refresh under way),
 * stores the newest refresh token when it is newer than the secret's, and
 * deletes the state in any case. `secretTarget` is asked only when there is a
 * newer refresh token to store. `onEnded` gets the ended session (what its
 * revocation needs) before the store, which may fail.
 */
export async function endKeepFresh(stateDir: string, secretTarget: () => SecretTarget | undefined, onEnded: (ended: EndedSession) => void = () => undefined): Promise<void> {
  try {
    const ended = await endSession(stateDir, { sleep, now: Date.now });
    if (ended !== undefined) onEnded(ended);
    log.info('Ended the keep-fresh session: keycloak-token now says so, and the background refresher has stopped.');
    if (ended?.unansweredRefresh && ended.rotation !== 'off') {
      log.warning('A keycloak-token refresh sent the refresh token and never stored an answer (it was killed, or the answer was lost): with rotation, the newest refresh token may be used up. If the next run is refused, log in again and store a new one.');
    }
    // With rotation the command may have used up the refresh token the main step stored.
    if (ended === undefined || ended.refreshToken === ended.storedRefreshToken || ended.refreshToken === '') return;
    // No answer of GitHub's may echo it.
    rememberSecret(ended.refreshToken);
    const target = secretTarget();
    if (target !== undefined) await storeRefreshTokenRetrying(target, ended.refreshToken, { ...POST_STEP_RETRIES, sleep, consequence: postConsequence(ended, target) });
  } finally {
    // Stored or not, the session's secrets do not outlive the job's post step.
    removeSession(stateDir);
  }
}

/** What a failed store in the post step leaves: the session and its newest refresh token are gone. */
function postConsequence(ended: EndedSession, target: SecretTarget): string {
  const held =
    ended.rotation === 'on'
      ? `The secret still holds a refresh token that Keycloak has rotated away from (revoke-refresh-token: true), so the next run that uses it fails`
      : `The secret still holds an older refresh token: it keeps working unless the realm revokes used refresh tokens, and then the next run that uses it fails`;
  return `${held}; the newest one ended with the session and was never printed. For a new refresh token, log in again and store it in secret ${target.name} (a run with fallback logs in and, with update-secret, stores it).`;
}
