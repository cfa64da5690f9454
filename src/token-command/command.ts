// keycloak-token, the command keep-fresh puts on PATH for later steps:
//   keycloak-token                  a valid access token on stdout
//   keycloak-token aws-credentials  credential_process JSON for the AWS profile
//   keycloak-token refresher        (the main step starts it) keeps the token file fresh
// Every token or key it prints is registered as a mask on stderr first: the
// runner reads commands from stderr too, and stdout stays clean for $(...).
// Every secret it knows, from the session or from an answer, is known to
// outsideText before any request, so that no server text can echo one.
// A failure is one line on stderr, exit code 1, never a token.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailure } from '../failure.js';
import { fitsFormat, outsideText, rememberSecret } from '../outside-text.js';
import type { SendRequest } from '../transport.js';
import { sendRequest } from '../transport.js';
import type { FreshDeps } from './fresh.js';
import { freshCredentials, freshSession } from './fresh.js';
import { LockTimeout } from './lock.js';
import { keepTokenFileFresh } from './refresher.js';
import { runnerIdTokenFetcher } from '../github/runner-oidc.js';
import type { Session } from './session.js';
import { SessionGone, readSession } from './session.js';

export async function run(args: string[]): Promise<void> {
  const [stateDir, command = 'access-token'] = args;
  try {
    if (stateDir === undefined) throw new Error('usage: keycloak-token [aws-credentials]');
    const session = readSession(stateDir);
    rememberSessionSecrets(session);
    const deps = freshDeps(session);
    if (command === 'access-token') {
      const { accessToken } = await freshSession(stateDir, deps, session);
      mask(accessToken);
      process.stdout.write(`${accessToken}\n`);
    } else if (command === 'aws-credentials') {
      const credentials = await freshCredentials(stateDir, deps, session);
      for (const value of [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken]) mask(value);
      const { accessKeyId, secretAccessKey, sessionToken, expiresAt } = credentials;
      process.stdout.write(`${JSON.stringify({ Version: 1, AccessKeyId: accessKeyId, SecretAccessKey: secretAccessKey, SessionToken: sessionToken, Expiration: new Date(expiresAt).toISOString() })}\n`);
    } else if (command === 'refresher') {
      await keepTokenFileFresh(stateDir, deps, sleep);
    } else {
      throw new Error(`unknown command '${command}': use keycloak-token, or keycloak-token aws-credentials`);
    }
  } catch (error) {
    // Made safe once more as a whole: one line, no command, no secret this process knows.
    process.stderr.write(`keycloak-token: ${outsideText(explain(error), 2000)}\n`);
    process.exitCode = 1;
  }
}

function explain(error: unknown): string {
  if (error instanceof SessionGone || error instanceof LockTimeout) return error.message;
  const { kind, message } = describeFailure(error);
  return `${message} (failure-kind: ${kind})`;
}

function freshDeps(session: Session): FreshDeps {
  const { extraCas } = session;
  const send = remembering((request, timeoutMs) => sendRequest({ ...request, extraCas }, timeoutMs), session);
  return {
    keycloak: { send: (request, timeoutMs) => send({ ...request, method: 'POST' }, timeoutMs) },
    sendRequest: send,
    fetchIdToken: session.client.clientAuth === 'github-oidc' ? runnerIdTokenFetcher(process.env, remembering(sendRequest, session), mask) : undefined,
    lock: { sleep, now: Date.now },
    warn: (line) => process.stderr.write(`keycloak-token: ${outsideText(line, 2000)}\n`),
  };
}

/** Every secret of the session, for outsideText to remove from any text a server sends back. */
function rememberSessionSecrets(session: Session): void {
  const { refreshToken, storedRefreshToken, accessToken, client, credentials } = session;
  const secrets = [refreshToken, storedRefreshToken, accessToken, client.clientSecret, credentials?.accessKeyId, credentials?.secretAccessKey, credentials?.sessionToken];
  for (const secret of secrets) if (secret) rememberSecret(secret);
}

/** Form fields that carry a secret: Keycloak's grants and client authentication, RGW's STS. */
const SECRET_FIELDS = ['refresh_token', 'client_secret', 'client_assertion', 'subject_token', 'password', 'WebIdentityToken'];
/** Answer fields that carry a secret: Keycloak's tokens, the runner's OIDC token. */
const SECRET_ANSWERS = ['access_token', 'refresh_token', 'id_token', 'value'];

/**
 * Sends through `send`, remembering every secret the request carries before it
 * goes out, and every token or key the answer brings before anyone reads its
 * text; a refresh token Keycloak rotates to is masked at once.
 */
function remembering(send: SendRequest, session: Session): SendRequest {
  const knownRefreshTokens = new Set([session.refreshToken, session.storedRefreshToken]);
  return async (request, timeoutMs) => {
    const form = new URLSearchParams(request.body);
    for (const field of SECRET_FIELDS) for (const value of form.getAll(field)) rememberSecret(value);
    const authorization = request.headers.Authorization ?? request.headers.authorization;
    if (authorization !== undefined) rememberSecret(authorization.replace(/^\S+ /, ''));
    const answer = await send(request, timeoutMs);
    const { json, credentials } = secretsOf(answer.body);
    for (const field of SECRET_ANSWERS) {
      const value = json[field];
      if (typeof value === 'string') rememberSecret(value);
    }
    for (const value of credentials) rememberSecret(value);
    const rotated = json.refresh_token;
    if (typeof rotated === 'string' && fitsFormat(rotated, 'token') && !knownRefreshTokens.has(rotated)) {
      knownRefreshTokens.add(rotated);
      mask(rotated);
    }
    return answer;
  };
}

function secretsOf(body: string): { json: Record<string, unknown>; credentials: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  // RGW's STS answer: the values as sent, and as XML text once its entities are read.
  const credentials = [...body.matchAll(/<(?:AccessKeyId|SecretAccessKey|SessionToken)>([^<]*)</g)].flatMap(([, raw = '']) => [raw.trim(), xmlText(raw.trim())]);
  return { json: typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {}, credentials };
}

function xmlText(raw: string): string {
  return raw.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name] ?? '');
}

/**
 * The runner masks the value in every later line of the job. Only one word of
 * visible ASCII that reads as no command is printed, escaped as @actions/core's
 * escapeData does: anything else is refused, never shown.
 */
function mask(value: string): void {
  if (!fitsFormat(value, 'token')) throw new Error('refused to print a value that is not one word of visible ASCII (not shown)');
  process.stderr.write(`::add-mask::${escapeData(value)}\n`);
}

function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
