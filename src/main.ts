// The action's entry point: main step and post step share one bundle, told
// apart by the state the main step saves (as actions/checkout does).
import * as core from '@actions/core';
import { readCaCertificates, trustCertificates } from './ca-certificates.js';
import { checkToken, judge } from './check.js';
import { tokenEndpoint } from './endpoint.js';
import { InputError, SECRET_INPUTS, parseInputs } from './inputs.js';
import { STATE_TOKEN_FILE, mask, publish, publishCheck } from './publish.js';
import type { RetryNotice } from './refresh.js';
import { obtainTokens } from './login.js';
import { RefreshError } from './refresh-error.js';
import { removeTokenFile, tokenFileParent } from './token-file.js';
import { sendForm } from './transport.js';

const STATE_IS_POST = 'is-post';

export async function run(): Promise<void> {
  if (core.getState(STATE_IS_POST) === 'true') {
    cleanup();
    return;
  }
  core.saveState(STATE_IS_POST, 'true');
  try {
    await refreshAndPublish();
  } catch (error) {
    fail(error);
  }
}

async function refreshAndPublish(): Promise<void> {
  // Masked before parsing, so that not even a validation path can print them.
  mask(SECRET_INPUTS.map((name) => core.getInput(name)));
  const { inputs, warnings } = parseInputs((name) => core.getInput(name));
  for (const warning of warnings) core.warning(warning);
  trustCertificates(readCaCertificates(inputs.caCertificate));
  const clientKind = inputs.clientSecret === undefined ? 'public client' : `confidential client, secret sent by ${inputs.clientAuth}`;
  core.debug(`Refreshing at ${tokenEndpoint(inputs.keycloakUrl, inputs.realm)} as '${inputs.clientId}' (${clientKind})`);
  const deps = {
    send: sendForm,
    onRetry: ({ attempt, delayMs, error }: RetryNotice) =>
      core.info(`Attempt ${attempt} failed: ${error.message} Retrying in ${(delayMs / 1000).toFixed(1)} s.`),
  };
  if (inputs.mode === 'check') {
    const result = await checkToken(inputs, deps);
    await publishCheck(inputs, result, judge(result, inputs, new Date()));
  } else {
    const onFallback = (reason: string) =>
      core.warning(`${reason} Logging in with fallback: ${inputs.fallback} instead; store the new refresh-token output as the secret.`);
    await publish(inputs, await obtainTokens(inputs, { ...deps, onFallback }));
  }
}

function fail(error: unknown): void {
  if (error instanceof InputError || error instanceof RefreshError) {
    core.setFailed(error.message);
  } else {
    core.setFailed(`Unexpected error: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The runner hides ::debug:: lines unless debug is on; do not even write the stack otherwise.
  if (core.isDebug() && error instanceof Error && error.stack) core.debug(error.stack);
}

function cleanup(): void {
  const file = core.getState(STATE_TOKEN_FILE);
  if (file === '') return;
  if (removeTokenFile(tokenFileParent(), file)) core.info(`Deleted the access token file ${file}.`);
  else core.warning(`Did not delete ${file}: it is not a token file this action wrote.`);
}
