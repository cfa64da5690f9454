// The runner side of the action: masking, outputs, env, token file, summary.
// Outputs, state and env go through @actions/core here; log lines and masks through runner-log.ts.
import { dirname } from 'node:path';
import * as core from '@actions/core';
import type { CheckResult, Verdict } from './keycloak/check.js';
import type { ActionInputs } from './inputs.js';
import type { S3Role } from './s3/role-inputs.js';
import type { TemporaryCredentials } from './s3/sts-response.js';
import {
  audienceOutputs,
  audienceSummaryRows,
  checkOutputs,
  checkSummaryRows,
  credentialEnv,
  credentialOutputs,
  credentialSecrets,
  credentialSummaryRows,
  envExports,
  rotationNotice,
  secretValues,
  stepOutputs,
  summaryRows,
} from './outputs.js';
import { escapeHtml } from './outside-text.js';
import { log, mask } from './runner-log.js';
import type { TokenCommandSetup } from './token-command/setup.js';
import { tokenFileParent, writeTokenFile } from './token-file.js';
import type { TokenResult } from './keycloak/token-result.js';

export const STATE_TOKEN_FILE = 'token-file';
export const STATE_KEEP_FRESH = 'keep-fresh';
/** The path of the revocation list (revocation-list.ts): nothing secret. */
export const STATE_REVOKE = 'revoke';

/** Refresh mode: the tokens, the narrowed one (audience), and their summary. Returns the token file, when written. */
export async function publish(inputs: ActionInputs, result: TokenResult, narrowed?: TokenResult): Promise<string | undefined> {
  const tokenFile = publishTokens(inputs, result);
  if (narrowed !== undefined) {
    // Every token of the exchange's answer, even one the action does not use; with exchange-only
    // its access token is the one publishTokens masked already.
    const masked = secretValues(result);
    mask(secretValues(narrowed).filter((value) => !masked.includes(value)));
    for (const [name, value] of Object.entries(audienceOutputs(narrowed))) core.setOutput(name, value);
  }
  await writeSummary('Keycloak token refreshed', [...summaryRows(inputs, result), ...audienceSummaryRows(narrowed)]);
  return tokenFile;
}

/** A step about to fail after a refresh: the new refresh token must not be lost with it. */
export function publishRefreshToken(result: TokenResult): void {
  mask(secretValues(result));
  core.setOutput('refresh-token', result.refreshToken);
}

/** keep-fresh: the command on PATH for later steps, and the AWS profile with role-to-assume. */
export function publishTokenCommand(setup: TokenCommandSetup): void {
  core.saveState(STATE_KEEP_FRESH, setup.stateDir);
  core.addPath(dirname(setup.command));
  core.setOutput('token-command', setup.command);
  if (setup.aws !== undefined) {
    core.exportVariable('AWS_CONFIG_FILE', setup.aws.configFile);
    core.exportVariable('AWS_PROFILE', setup.aws.profile);
  }
  const profile = setup.aws === undefined ? '' : ` and the AWS profile '${setup.aws.profile}' (AWS_CONFIG_FILE, AWS_PROFILE)`;
  log.info(`Later steps get fresh credentials from keycloak-token${profile} until the post step ends the session.`);
}

/** Check mode: the verdict, its outputs and table, and the new tokens when the check refreshed. */
export async function publishCheck(inputs: ActionInputs, result: CheckResult, verdict: Verdict): Promise<void> {
  if (result.refreshed) publishTokens(inputs, result.refreshed);
  for (const [name, value] of Object.entries(checkOutputs(result, verdict))) core.setOutput(name, value);
  await writeSummary('Keycloak token check', checkSummaryRows(inputs, result, verdict));
  if (verdict.level === 'failure') {
    core.setOutput('failure-kind', verdict.failureKind ?? 'refresh-token-inactive');
    log.failed(verdict.message);
  } else if (verdict.level === 'warning') log.warning(verdict.message);
  else log.info(verdict.message);
}

/** role-to-assume: the temporary S3 credentials, masked before anything else. */
export async function publishCredentials(inputs: ActionInputs, role: S3Role, sessionName: string, credentials: TemporaryCredentials): Promise<void> {
  mask(credentialSecrets(credentials));
  const outputs = credentialOutputs(credentials);
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value);
  if (inputs.publishing.exportEnv) {
    for (const [name, value] of Object.entries(credentialEnv(credentials, role, process.env, inputs.keepFresh.keepFresh))) core.exportVariable(name, value);
  }
  const until = credentials.expiration === undefined ? '' : ` until ${outputs['aws-expiration']}`;
  log.info(`Assumed role ${role.roleArn} at ${new URL(role.stsEndpoint).host}${until}.`);
  await writeSummary('S3 credentials from RGW STS', credentialSummaryRows(role, sessionName, credentials));
}

function publishTokens(inputs: ActionInputs, result: TokenResult): string | undefined {
  mask(secretValues(result));
  // Outputs first: if anything after this fails, a rotated refresh token is not lost.
  for (const [name, value] of Object.entries(stepOutputs(result))) core.setOutput(name, value);
  const tokenFile = inputs.publishing.tokenFile ? writeAccessTokenFile(result.accessToken) : undefined;
  core.setOutput('access-token-file', tokenFile ?? '');
  if (inputs.publishing.exportEnv) {
    for (const [name, value] of Object.entries(envExports(result))) core.exportVariable(name, value);
  }
  if (result.rotated) {
    const notice = rotationNotice(inputs.connection.rotation, inputs.updateSecret);
    if (notice.mustAct) log.warning(notice.message);
    else log.debug(notice.message);
  }
  const how = result.grant === 'refresh_token' ? 'Refreshed tokens' : `Logged in with the ${result.grant} grant`;
  log.info(`${how} for client '${inputs.client.clientId}' in realm '${inputs.connection.realm}'.`);
  return tokenFile;
}

function writeAccessTokenFile(accessToken: string): string {
  const file = writeTokenFile(tokenFileParent(), accessToken);
  core.saveState(STATE_TOKEN_FILE, file);
  log.info(`Wrote the access token to ${file} (mode 0600); the post step deletes it.`);
  return file;
}

// The tokens are out by now: a summary that cannot be written is worth a
// warning, not a failed step.
async function writeSummary(title: string, rows: [string, string][]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return;
  const table = rows.map(([name, value]) => [{ data: escapeHtml(name), header: true }, escapeHtml(value)]);
  try {
    await core.summary.addHeading(title, 3).addTable(table).write();
  } catch (error) {
    log.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
  }
}
