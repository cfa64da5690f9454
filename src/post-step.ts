// The post step: ends the keep-fresh session (storing its newest refresh token
// with update-secret), deletes the access token file, and revokes what the job
// minted (revoke-on-post). Every path deletes what the job left on disk.
import { readCaCertificates } from './ca-certificates.js';
import type { SecretTarget } from './github/github-secret.js';
import { idTokenFetcher } from './github/oidc-token.js';
import { runnerIdTokenFetcher } from './github/runner-oidc.js';
import { secretTarget } from './github/secret-inputs.js';
import { describeFailure } from './failure.js';
import type { ActionInputs } from './inputs.js';
import { parseInputs } from './inputs.js';
import { endKeepFresh } from './keep-fresh.js';
import { clientAuthentication } from './keycloak/client-auth/index.js';
import type { KeycloakConnection } from './keycloak/keycloak-request.js';
import type { Revocation, RevocationOutcome } from './keycloak/revoke.js';
import { revokeAll } from './keycloak/revoke.js';
import { rememberSecret } from './outside-text.js';
import { STATE_KEEP_FRESH, STATE_REVOKE, STATE_TOKEN_FILE } from './publish.js';
import { isRevocationList, readRevocationList, removeRevocationList } from './revocation-list.js';
import { log } from './runner-log.js';
import type { EndedSession } from './token-command/setup.js';
import { removeTokenFile, tokenFileParent } from './token-file.js';
import type { SendForm } from './transport.js';
import { sendForm, sendRequest, withinDeadline } from './transport.js';

/** What the post step reads from the runner: the main step's saved state and the step's inputs. */
export interface PostContext {
  state: (name: string) => string;
  input: (name: string) => string;
}

/** The context with the step's inputs, parsed once, when first needed. */
interface PostJob extends PostContext {
  inputs: () => ActionInputs;
}

function withInputs(context: PostContext): PostJob {
  let parsed: ActionInputs | undefined;
  return { ...context, inputs: () => (parsed ??= parseInputs(context.input).inputs) };
}

/** All of the post step's revocation requests together: the post step stays quick. */
const REVOKE_BUDGET_MS = 10_000;

export async function postStep(context: PostContext): Promise<void> {
  const job = withInputs(context);
  const stateDir = job.state(STATE_KEEP_FRESH);
  let ended: EndedSession | undefined;
  try {
    if (stateDir !== '') {
      await endKeepFresh(stateDir, () => postSecretTarget(job), (session) => {
        ended = session;
      });
    }
  } finally {
    // Also when the store failed: the token must not stay on disk, nor stay valid.
    try {
      removeAccessTokenFile(job);
    } finally {
      await revokeOnPost(job, ended);
    }
  }
}

/**
 * revoke-on-post: every access token the main step and keycloak-token handed out,
 * and the session of a fallback login nobody stores. Never fails the post step:
 * a problem is one warning line, and the list is deleted in any case.
 */
async function revokeOnPost(job: PostJob, ended: EndedSession | undefined): Promise<void> {
  const file = job.state(STATE_REVOKE);
  const parent = tokenFileParent();
  if (file !== '' && !isRevocationList(parent, file)) {
    log.warning(`Did not read ${file}: it is not a revocation list this action wrote.`);
    return;
  }
  try {
    const kept = file === '' ? { accessTokens: [], logout: undefined } : readRevocationList(file);
    const revocation: Revocation = {
      accessTokens: [...kept.accessTokens, ...(ended?.mintedAccessTokens ?? [])],
      // keep-fresh's newest refresh token of that session (rotation), else the login's.
      logout: kept.logout && (ended?.refreshToken || kept.logout),
    };
    if (revocation.accessTokens.length === 0 && revocation.logout === undefined) return;
    // Never printed here, not even in an add-mask line: removed from any server text.
    for (const token of [...revocation.accessTokens, revocation.logout]) if (token) rememberSecret(token);
    const deadline = Date.now() + REVOKE_BUDGET_MS;
    const inputs = job.inputs();
    const outcome = await revokeAll(revocation, postConnection(inputs, deadline), { send: postSend(inputs, deadline), now: Date.now, deadline });
    reportRevocation(outcome);
  } catch (error) {
    log.warning(`Did not revoke this job's tokens: ${describeFailure(error).message} They stay valid until they expire.`);
  } finally {
    if (file !== '') removeRevocationList(parent, file);
  }
}

function postSend(inputs: ActionInputs, deadline: number): SendForm {
  const extraCas = readCaCertificates(inputs.caCertificate);
  return withinDeadline((request, timeoutMs) => sendForm({ ...request, extraCas }, timeoutMs), deadline);
}

/** The client authenticates as in the main step; a GitHub OIDC assertion is fetched anew, within the budget, and never printed. */
function postConnection(inputs: ActionInputs, deadline: number): KeycloakConnection {
  const { client, connection } = inputs;
  if (client.clientSecret) rememberSecret(client.clientSecret);
  const fetchIdToken = client.clientAuth === 'github-oidc' ? idTokenFetcher(process.env, (audience) => runnerIdTokenFetcher(process.env, withinDeadline(sendRequest, deadline), rememberSecret)(audience)) : undefined;
  const auth = clientAuthentication(client, fetchIdToken);
  for (const derived of auth.derivedSecrets) rememberSecret(derived);
  return { ...connection, clientId: client.clientId, auth };
}

function reportRevocation({ revoked, expired, loggedOut, problem }: RevocationOutcome): void {
  const done = [
    revoked > 0 ? `revoked ${count(revoked, 'access token')} this job handed out` : '',
    expired > 0 ? `${count(expired, 'access token')} had expired already` : '',
    loggedOut ? 'logged out the session of the fallback login (nothing stores its refresh token)' : '',
  ].filter((part) => part !== '');
  if (problem === undefined) {
    if (done.length > 0) log.info(`Post step: ${done.join('; ')}.`);
    return;
  }
  const left = [problem.left > 0 ? `revoke ${count(problem.left, 'access token')}` : '', problem.logoutLeft ? "log out the fallback login's session" : ''].filter((part) => part !== '').join(' nor ');
  const stays = problem.logoutLeft ? 'they stay valid until they expire, the session until its idle timeout' : 'they stay valid until they expire';
  const before = done.length > 0 ? ` (${done.join('; ')})` : '';
  log.warning(`Could not ${left} (${problem.kind})${before}: ${problem.message} ${stays[0]?.toUpperCase()}${stays.slice(1)}. To stop trying, set revoke-on-post: false.`);
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function postSecretTarget(job: PostJob): SecretTarget | undefined {
  const { updateSecret } = job.inputs();
  return updateSecret && secretTarget(updateSecret, process.env);
}

function removeAccessTokenFile(job: PostContext): void {
  const file = job.state(STATE_TOKEN_FILE);
  if (file === '') return;
  if (removeTokenFile(tokenFileParent(), file)) log.info(`Deleted the access token file ${file}.`);
  else log.warning(`Did not delete ${file}: it is not a token file this action wrote.`);
}
