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
import { checkKeepFresh, startKeepFresh } from './keep-fresh.js';
import { STATE_REVOKE, publish, publishCheck, publishCredentials, publishRefreshToken } from './publish.js';
import { postStep } from './post-step.js';
import { log, mask } from './runner-log.js';
import { assumeRole } from './s3/assume-role.js';
import type { S3Role } from './s3/role-inputs.js';
import { defaultSessionName } from './s3/sts-request.js';
import type { TemporaryCredentials } from './s3/sts-response.js';
import { storeNewRefreshToken } from './secret-store.js';
import { tokenFileParent } from './token-file.js';
import type { SendRequest } from './transport.js';
import { sendForm, sendRequest } from './transport.js';
import type { Revocation } from './keycloak/revoke.js';
import { addToRevocationList, createRevocationList } from './revocation-list.js';

const STATE_IS_POST = 'is-post';

export async function run(): Promise<void> {
  if (core.getState(STATE_IS_POST) === 'true') {
    try {
      await postStep({ state: (name) => core.getState(name), input: (name) => core.getInput(name) });
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
    // A password login nobody stores is logged out by the post step: the advice must not contradict it.
    const keep =
      tokens.fallback === 'password' && inputs.revocation.revokeOnPost && !inputs.updateSecret
        ? 'the post step logs this session out at the end of the job (revoke-on-post): to keep its refresh token as the new secret, set update-secret (or revoke-on-post: false and store the refresh-token output).'
        : 'store the new refresh-token output as the secret.';
    const onFallback = (reason: string) => log.warning(`${reason} Logging in with fallback: ${tokens.fallback} instead; ${keep}`);
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
