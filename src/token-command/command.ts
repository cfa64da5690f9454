// keycloak-token, the command keep-fresh puts on PATH for later steps:
//   keycloak-token                  a valid access token on stdout
//   keycloak-token aws-credentials  credential_process JSON for the AWS profile
//   keycloak-token refresher        (the main step starts it) keeps the token file fresh
// Every token or key it prints is registered as a mask on stderr first: the
// runner reads commands from stderr too, and stdout stays clean for $(...).
// A failure is one line on stderr, exit code 1, never a token.
import { setTimeout as sleep } from 'node:timers/promises';
import { describeFailure } from '../failure.js';
import { neutraliseCommands } from '../outside-text.js';
import { sendForm, sendRequest } from '../transport.js';
import type { FreshDeps } from './fresh.js';
import { freshCredentials, freshSession } from './fresh.js';
import { keepTokenFileFresh } from './refresher.js';
import { runnerIdTokenFetcher } from './runner-oidc.js';
import type { Session } from './session.js';
import { SessionGone, readSession } from './session.js';

export async function run(args: string[]): Promise<void> {
  const [stateDir, command = 'access-token'] = args;
  try {
    if (stateDir === undefined) throw new Error('usage: keycloak-token [aws-credentials]');
    const session = readSession(stateDir);
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
    process.stderr.write(`keycloak-token: ${neutraliseCommands(explain(error))}\n`);
    process.exitCode = 1;
  }
}

function explain(error: unknown): string {
  if (error instanceof SessionGone) return error.message;
  const { kind, message } = describeFailure(error);
  return `${message} (failure-kind: ${kind})`;
}

function freshDeps(session: Session): FreshDeps {
  const { extraCas } = session;
  return {
    keycloak: { send: (request, timeoutMs) => sendForm({ ...request, extraCas }, timeoutMs) },
    sendRequest: (request, timeoutMs) => sendRequest({ ...request, extraCas }, timeoutMs),
    fetchIdToken: session.client.clientAuth === 'github-oidc' ? runnerIdTokenFetcher(process.env, sendRequest, mask) : undefined,
    lock: { sleep, now: Date.now },
    warn: (line) => process.stderr.write(`keycloak-token: ${neutraliseCommands(line)}\n`),
  };
}

/** The runner masks the value in every later line of the job; tokens and keys hold no line breaks or %. */
function mask(value: string): void {
  process.stderr.write(`::add-mask::${value}\n`);
}
