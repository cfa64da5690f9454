// The action's entry point: main step and post step share one bundle, told
// apart by the state the main step saves (as actions/checkout does).
import * as core from '@actions/core';
import { readCaCertificates } from './ca-certificates.js';
import { idTokenFetcher } from './github/oidc-token.js';
import type { SecretTarget } from './github/github-secret.js';
import { updateSecret } from './github/github-secret.js';
import { sealForGitHub } from './github/sealed-box.js';
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
import { STATE_TOKEN_FILE, log, mask, publish, publishCheck, publishCredentials } from './publish.js';
import { assumeRole } from './s3/assume-role.js';
import type { S3Role } from './s3/role-inputs.js';
import { defaultSessionName } from './s3/sts-request.js';
import { removeTokenFile, tokenFileParent } from './token-file.js';
import type { SendRequest } from './transport.js';
import { sendForm, sendRequest } from './transport.js';

const STATE_IS_POST = 'is-post';

export async function run(): Promise<void> {
  if (core.getState(STATE_IS_POST) === 'true') {
    cleanup();
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
  let result: TokenResult | undefined;
  if (inputs.mode === 'check') {
    const check = await checkToken({ method: inputs.check.method, refreshToken: tokens.refreshToken, scope: tokens.scope }, connection, deps);
    result = check.refreshed;
    await publishCheck(inputs, check, judge(check, inputs.check, new Date()));
  } else {
    const onFallback = (reason: string) =>
      log.warning(`${reason} Logging in with fallback: ${tokens.fallback} instead; store the new refresh-token output as the secret.`);
    result = await obtainTokens(tokens, connection, { ...deps, onFallback });
    await publish(inputs, result);
  }
  if (target && result) await storeNewRefreshToken(target, inputs, result);
  // Last: a refused role must not cost the rotated refresh token, which is out by now.
  if (inputs.s3Role && result) await assumeS3Role(inputs, inputs.s3Role, result, extraCas);
}

/** The client authenticates the same way for every request of the run. */
function keycloakConnection({ connection, client }: ActionInputs): KeycloakConnection {
  // Checked before any request: without id-token permission nothing is sent to Keycloak.
  const fetchIdToken = client.clientAuth === 'github-oidc' ? idTokenFetcher(process.env, fetchMaskedIdToken) : undefined;
  return { ...connection, clientId: client.clientId, auth: clientAuthentication(client, fetchIdToken) };
}

async function assumeS3Role(inputs: ActionInputs, role: S3Role, result: TokenResult, extraCas: string[]): Promise<void> {
  const roleSessionName = role.roleSessionName ?? defaultSessionName(process.env);
  const send: SendRequest = (request, timeoutMs) => sendRequest({ ...request, extraCas }, timeoutMs);
  const { keycloakUrl, timeoutMs } = inputs.connection;
  const credentials = await assumeRole({ ...role, roleSessionName }, result.accessToken, { clientId: inputs.client.clientId, keycloakUrl, timeoutMs }, { send });
  await publishCredentials(inputs, role, roleSessionName, credentials);
}

// getIDToken masks the token itself; masked here too so that this never depends on it.
async function fetchMaskedIdToken(audience: string): Promise<string> {
  const token = await core.getIDToken(audience);
  mask([token]);
  return token;
}

async function storeNewRefreshToken(target: SecretTarget, inputs: ActionInputs, result: TokenResult): Promise<void> {
  if (result.refreshToken === '' || result.refreshToken === inputs.tokens.refreshToken) {
    log.info(`The refresh token did not change: secret ${target.name} is left as it is.`);
    return;
  }
  await updateSecret(target, result.refreshToken, sendRequest, sealForGitHub);
  log.info(`Stored the new refresh token in secret ${target.name}${target.environment ? ` (environment ${target.environment})` : ''}.`);
}

function fail(error: unknown): void {
  const { kind, message } = describeFailure(error);
  // Before the step fails, so that `if: failure()` steps can branch on it.
  core.setOutput('failure-kind', kind);
  log.failed(message);
  // The runner hides ::debug:: lines unless debug is on; do not even write the stack otherwise.
  if (core.isDebug() && error instanceof Error && error.stack) log.debug(error.stack);
}

function cleanup(): void {
  const file = core.getState(STATE_TOKEN_FILE);
  if (file === '') return;
  if (removeTokenFile(tokenFileParent(), file)) log.info(`Deleted the access token file ${file}.`);
  else log.warning(`Did not delete ${file}: it is not a token file this action wrote.`);
}
