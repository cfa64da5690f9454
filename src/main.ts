// The action's entry point: main step and post step share one bundle, told
// apart by the state the main step saves (as actions/checkout does).
import * as core from '@actions/core';
import { readCaCertificates } from './ca-certificates.js';
import { idTokenFetcher } from './github/oidc-token.js';
import { runnerIdTokenFetcher } from './github/runner-oidc.js';
import type { SecretTarget } from './github/github-secret.js';
import { secretTarget } from './github/secret-inputs.js';
import type { ActionInputs } from './inputs.js';
import { SECRET_INPUTS, parseInputs } from './inputs.js';
import { checkToken, judge } from './keycloak/check.js';
import { clientAuthentication } from './keycloak/client-auth/index.js';
import { tokenEndpoint } from './keycloak/endpoint.js';
import type { KeycloakConnection, KeycloakDeps } from './keycloak/keycloak-request.js';
import type { RetryNotice } from './keycloak/retry.js';
import { obtainTokens } from './keycloak/obtain-tokens.js';
import type { TokenResult } from './keycloak/token-result.js';
import { describeFailure } from './failure.js';
import type { AudienceInputs } from './keycloak/audience-inputs.js';
import { handedOut, narrowToAudience } from './keycloak/narrow.js';
import { checkKeepFresh, endKeepFresh, startKeepFresh } from './keep-fresh.js';
import { STATE_KEEP_FRESH, STATE_TOKEN_FILE, publish, publishCheck, publishCredentials, publishRefreshToken } from './publish.js';
import { log, mask } from './runner-log.js';
import { assumeRole } from './s3/assume-role.js';
import type { S3Role } from './s3/role-inputs.js';
import { defaultSessionName } from './s3/sts-request.js';
import type { TemporaryCredentials } from './s3/sts-response.js';
import { storeNewRefreshToken } from './secret-store.js';
import { removeTokenFile, tokenFileParent } from './token-file.js';
import type { SendForm, SendRequest } from './transport.js';
import { sendForm, sendRequest } from './transport.js';
import type { Revocation, RevocationOutcome } from './keycloak/revoke.js';
import { revokeAll } from './keycloak/revoke.js';
import { addToRevocationList, createRevocationList, isRevocationList, readRevocationList, removeRevocationList } from './revocation-list.js';
import { rememberSecret } from './outside-text.js';
import type { EndedSession } from './token-command/setup.js';

const STATE_IS_POST = 'is-post';
/** The path of the revocation list (revocation-list.ts): nothing secret. */
const STATE_REVOKE = 'revoke';
/** All of the post step's revocation requests together: the post step stays quick. */
const REVOKE_BUDGET_MS = 10_000;

export async function run(): Promise<void> {
  if (core.getState(STATE_IS_POST) === 'true') {
    try {
      await postStep();
    } catch (error) {
      fail(error);
    }
    return;
  }
  core.saveState(STATE_IS_POST, 'true');
  try {
    await mainStep();
  } catch (error) {
    fail(error);
  }
}

async function mainStep(): Promise<void> {
  // Masked before parsing, so that not even a validation path can print them.
  mask(SECRET_INPUTS.map((name) => core.getInput(name)));
  const { inputs, warnings } = parseInputs((name) => core.getInput(name));
  for (const warning of warnings) log.warning(warning);
  checkKeepFresh(inputs);
  const extraCas = readCaCertificates(inputs.caCertificate);
  const connection = keycloakConnection(inputs);
  mask(connection.auth.derivedSecrets);
  const deps: KeycloakDeps = {
    send: (request, timeoutMs) => sendForm({ ...request, extraCas }, timeoutMs),
    onRetry: ({ attempt, delayMs, error }: RetryNotice) =>
      log.info(`Attempt ${attempt} failed: ${error.message} Retrying in ${(delayMs / 1000).toFixed(1)} s.`),
  };
  log.debug(`Token endpoint ${tokenEndpoint(connection.keycloakUrl, connection.realm)}, ${connection.auth.description}, mode ${inputs.mode}`);
  // Known before the refresh: a rotated token must not be lost to a missing setting.
  const target = inputs.updateSecret && secretTarget(inputs.updateSecret, process.env);
  const { tokens } = inputs;
  const keepForRevocation = revocationKeeper(inputs);
  let result: TokenResult | undefined;
  let tokenFile: string | undefined;
  if (inputs.mode === 'check') {
    const check = await checkToken({ method: inputs.check.method, refreshToken: tokens.refreshToken, scope: tokens.scope }, connection, deps);
    result = check.refreshed;
    if (result) keepForRevocation({ accessTokens: [result.accessToken] });
    await publishCheck(inputs, check, judge(check, inputs.check, new Date()));
  } else {
    const onFallback = (reason: string) =>
      log.warning(`${reason} Logging in with fallback: ${tokens.fallback} instead; store the new refresh-token output as the secret.`);
    const obtained = await obtainTokens(tokens, connection, { ...deps, onFallback });
    // A login nobody stores is a session nobody will use again: the post step logs it out.
    keepForRevocation({ accessTokens: [obtained.accessToken], logout: obtained.grant === 'password' && !inputs.updateSecret ? obtained.refreshToken : undefined });
    const narrowed = inputs.audience && (await narrowOrFail(obtained, tokens.refreshToken, inputs.audience, connection, deps, target));
    if (narrowed) keepForRevocation({ accessTokens: [narrowed.accessToken] });
    result = handedOut(obtained, narrowed, inputs.audience);
    tokenFile = await publish(inputs, result, narrowed);
  }
  const stored = target && result ? await storeNewRefreshToken(target, tokens.refreshToken, result) : false;
  // Last: a refused role must not cost the rotated refresh token, which is out by now.
  const s3 = inputs.s3Role && result ? await assumeS3Role(inputs, inputs.s3Role, result, extraCas) : undefined;
  if (inputs.keepFresh.keepFresh && result) {
    const storedRefreshToken = stored ? result.refreshToken : tokens.refreshToken;
    startKeepFresh({ inputs, result, extraCas, credentials: s3?.credentials, roleSessionName: s3?.roleSessionName, tokenFile, storedRefreshToken, now: Date.now() });
  }
}

/**
 * revoke-on-post: adds tokens to the list the post step revokes, made when the
 * first token comes (its path saved as state). Kept before anything is
 * published; a list that cannot be written costs a warning, never the tokens.
 */
function revocationKeeper(inputs: ActionInputs): (add: Partial<Revocation>) => void {
  if (!inputs.revocation.revokeOnPost) return () => undefined;
  let file: string | undefined;
  return (add) => {
    try {
      if (file === undefined) {
        file = createRevocationList(tokenFileParent());
        core.saveState(STATE_REVOKE, file);
      }
      addToRevocationList(file, add);
    } catch (error) {
      log.warning(`Could not keep this job's tokens for the post step to revoke (${error instanceof Error ? error.message : String(error)}): they stay valid until they expire.`);
    }
  };
}

/** A failed exchange must not cost a rotated refresh token: it is published, and stored, before the step fails. */
async function narrowOrFail(result: TokenResult, sentRefreshToken: string, audience: AudienceInputs, connection: KeycloakConnection, deps: KeycloakDeps, target: SecretTarget | undefined): Promise<TokenResult> {
  // Masked even when exchange-only keeps it from every output.
  mask([result.accessToken]);
  try {
    return await narrowToAudience(result.accessToken, audience, connection, deps);
  } catch (error) {
    publishRefreshToken(result);
    if (target) await storeNewRefreshToken(target, sentRefreshToken, result);
    throw error;
  }
}

/** The client authenticates the same way for every request of the run. */
function keycloakConnection({ connection, client }: ActionInputs): KeycloakConnection {
  // Checked before any request: without id-token permission nothing is sent to Keycloak.
  const fetchIdToken =
    client.clientAuth === 'github-oidc'
      ? idTokenFetcher(process.env, fetchMaskedIdToken)
      : undefined;
  return { ...connection, clientId: client.clientId, auth: clientAuthentication(client, fetchIdToken) };
}

async function assumeS3Role(inputs: ActionInputs, role: S3Role, result: TokenResult, extraCas: string[]): Promise<{ credentials: TemporaryCredentials; roleSessionName: string }> {
  const roleSessionName = role.roleSessionName ?? defaultSessionName(process.env);
  const send: SendRequest = (request, timeoutMs) => sendRequest({ ...request, extraCas }, timeoutMs);
  const { keycloakUrl, timeoutMs } = inputs.connection;
  const credentials = await assumeRole({ ...role, roleSessionName }, result.accessToken, { clientId: inputs.client.clientId, keycloakUrl, timeoutMs }, { send });
  await publishCredentials(inputs, role, roleSessionName, credentials);
  return { credentials, roleSessionName };
}

/**
 * Asked of the runner as @actions/core's getIDToken asks, but checked before it
 * is masked or used: getIDToken would print an add-mask line for whatever the
 * runner answered, a line break or `##[` included.
 */
function fetchMaskedIdToken(audience: string): Promise<string> {
  return runnerIdTokenFetcher(process.env, sendRequest, (token) => mask([token]))(audience);
}

function fail(error: unknown): void {
  const { kind, message } = describeFailure(error);
  // Before the step fails, so that `if: failure()` steps can branch on it.
  core.setOutput('failure-kind', kind);
  log.failed(message);
  // The runner hides ::debug:: lines unless debug is on; do not even write the stack otherwise.
  if (core.isDebug() && error instanceof Error && error.stack) log.debug(error.stack);
}

async function postStep(): Promise<void> {
  const stateDir = core.getState(STATE_KEEP_FRESH);
  let ended: EndedSession | undefined;
  try {
    if (stateDir !== '') {
      await endKeepFresh(stateDir, postSecretTarget, (session) => {
        ended = session;
      });
    }
  } finally {
    // Also when the store failed: the token must not stay on disk, nor stay valid.
    removeAccessTokenFile();
    await revokeOnPost(ended);
  }
}

/**
 * revoke-on-post: every access token the main step and keycloak-token handed out,
 * and the session of a fallback login nobody stores. Never fails the post step:
 * a problem is one warning line, and the list is deleted in any case.
 */
async function revokeOnPost(ended: EndedSession | undefined): Promise<void> {
  const file = core.getState(STATE_REVOKE);
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
    const outcome = await revokeAll(revocation, postConnection(deadline), { send: postSend(deadline), now: Date.now, deadline });
    reportRevocation(outcome);
  } catch (error) {
    log.warning(`Did not revoke this job's tokens: ${describeFailure(error).message} They stay valid until they expire.`);
  } finally {
    if (file !== '') removeRevocationList(parent, file);
  }
}

/** The post step's requests, each cut to what is left of the revocation budget. */
function withinBudget<T extends { url: string }>(send: (request: T, timeoutMs: number) => ReturnType<SendForm>, deadline: number) {
  return (request: T, timeoutMs: number) => send(request, Math.max(1, Math.min(timeoutMs, deadline - Date.now())));
}

function postSend(deadline: number): SendForm {
  const { caCertificate } = parseInputs((name) => core.getInput(name)).inputs;
  const extraCas = readCaCertificates(caCertificate);
  return withinBudget((request, timeoutMs) => sendForm({ ...request, extraCas }, timeoutMs), deadline);
}

/** The client authenticates as in the main step; a GitHub OIDC assertion is fetched anew, within the budget, and never printed. */
function postConnection(deadline: number): KeycloakConnection {
  const { inputs } = parseInputs((name) => core.getInput(name));
  const { client, connection } = inputs;
  if (client.clientSecret) rememberSecret(client.clientSecret);
  const fetchIdToken = client.clientAuth === 'github-oidc' ? idTokenFetcher(process.env, (audience) => runnerIdTokenFetcher(process.env, withinBudget(sendRequest, deadline), rememberSecret)(audience)) : undefined;
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

function postSecretTarget(): SecretTarget | undefined {
  const { updateSecret } = parseInputs((name) => core.getInput(name)).inputs;
  return updateSecret && secretTarget(updateSecret, process.env);
}

function removeAccessTokenFile(): void {
  const file = core.getState(STATE_TOKEN_FILE);
  if (file === '') return;
  if (removeTokenFile(tokenFileParent(), file)) log.info(`Deleted the access token file ${file}.`);
  else log.warning(`Did not delete ${file}: it is not a token file this action wrote.`);
}
