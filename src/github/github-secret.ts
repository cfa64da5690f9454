// Stores a rotated refresh token back into the repository (or environment)
// secret it came from, through GitHub's REST API: read the public key, seal
// the value to it, PUT it. Pure apart from the injected transport and sealing.
import type { HttpAnswer, SendRequest } from '../transport.js';
import { withoutTrailingSlashes } from '../text.js';
import { TransportError, isSuccess } from '../transport.js';

export interface SecretTarget {
  apiUrl: string;
  /** owner/name */
  repository: string;
  /** An environment's secret instead of the repository's. */
  environment: string | undefined;
  name: string;
  token: string;
}

export type Seal = (value: string, publicKeyBase64: string) => Promise<string>;

/** What a failed store in the main step means: the new token is still in the step's output. */
const MAIN_STEP_CONSEQUENCE = "The stored secret is now out of date and the new token exists only in this run's masked refresh-token output: store it by hand, or log in again.";

export class SecretUpdateError extends Error {
  constructor(
    readonly target: SecretTarget,
    /** What went wrong, without the consequence: one sentence, never a token. */
    readonly problem: string,
    /** Whether trying again may help: GitHub did not answer, or answered 408, 429 or 5xx. A PUT of a secret is idempotent. */
    readonly retryable = false,
    consequence = MAIN_STEP_CONSEQUENCE,
  ) {
    super(`Could not store the new refresh token in ${describe(target)}: ${problem} ${consequence}`);
    this.name = 'SecretUpdateError';
  }
}

const TIMEOUT_MS = 15_000;

export async function updateSecret(target: SecretTarget, value: string, send: SendRequest, seal: Seal): Promise<void> {
  const base = secretsUrl(target);
  const key = await call(target, send, { method: 'GET', url: `${base}/public-key`, headers: headers(target), body: '' });
  const { key_id: keyId, key: publicKey } = parseKey(target, key.body);
  let sealed: string;
  try {
    sealed = await seal(value, publicKey);
  } catch {
    throw new SecretUpdateError(target, "the repository's public key could not be used to seal the value.");
  }
  const body = JSON.stringify({ encrypted_value: sealed, key_id: keyId });
  await call(target, send, {
    method: 'PUT',
    url: `${base}/${encodeURIComponent(target.name)}`,
    headers: { ...headers(target), 'Content-Type': 'application/json' },
    body,
  });
}

function secretsUrl(target: SecretTarget): string {
  const repo = `${withoutTrailingSlashes(target.apiUrl)}/repos/${target.repository}`;
  return target.environment === undefined
    ? `${repo}/actions/secrets`
    : `${repo}/environments/${encodeURIComponent(target.environment)}/secrets`;
}

function headers(target: SecretTarget): Record<string, string> {
  return {
    Accept: 'application/vnd.github+json',
    Authorization: `Bearer ${target.token}`,
    'X-GitHub-Api-Version': '2022-11-28',
  };
}

async function call(target: SecretTarget, send: SendRequest, request: Parameters<SendRequest>[0]): Promise<HttpAnswer> {
  let answer: HttpAnswer;
  try {
    answer = await send(request, TIMEOUT_MS);
  } catch (error) {
    const code = error instanceof TransportError ? error.code : 'REQUEST_FAILED';
    throw new SecretUpdateError(target, `the GitHub API at ${new URL(request.url).host} did not answer (${code}).`, true);
  }
  if (isSuccess(answer)) return answer;
  throw new SecretUpdateError(target, explainStatus(answer.status, request.method), answer.status === 408 || answer.status === 429 || answer.status >= 500);
}

function explainStatus(status: number, method: string): string {
  switch (status) {
    case 401:
      return 'GitHub rejected update-secret-token (401): it is invalid or expired.';
    case 403:
      return "update-secret-token may not write secrets (403). GITHUB_TOKEN never can: use a fine-grained token or GitHub App token with 'Secrets: read and write' on this repository (classic tokens: repo scope).";
    case 404:
      return `GitHub answered 404 to ${method}: the repository or environment does not exist, or update-secret-token cannot see it.`;
    default:
      return `GitHub answered HTTP ${status} to ${method}.`;
  }
}

function parseKey(target: SecretTarget, body: string): { key_id: string; key: string } {
  try {
    const json = JSON.parse(body) as { key_id?: unknown; key?: unknown };
    if (typeof json.key_id === 'string' && typeof json.key === 'string') return { key_id: json.key_id, key: json.key };
  } catch {
    // reported below
  }
  throw new SecretUpdateError(target, 'the public-key answer has no key_id and key.');
}

export function describe(target: SecretTarget): string {
  const where = target.environment === undefined ? target.repository : `${target.repository}, environment ${target.environment}`;
  return `secret ${target.name} (${where})`;
}
