// The job's GitHub OIDC token, asked of the runner the way @actions/core's
// getIDToken asks (GET ACTIONS_ID_TOKEN_REQUEST_URL&audience=, Bearer
// ACTIONS_ID_TOKEN_REQUEST_TOKEN), but through transport.ts, so that an endpoint
// that never answers is given up at its deadline, and checked before it is
// masked: the toolkit masks whatever the runner answered, on stdout, which in a
// later step would also end up in `$(keycloak-token)`. The main step masks
// through runner-log, the command on stderr.
import { GitHubOidcError } from './oidc-token.js';
import type { FetchIdToken } from '../keycloak/client-auth/index.js';
import { fitsFormat, outsideText } from '../outside-text.js';
import type { HttpAnswer, SendRequest } from '../transport.js';
import { TransportError, isSuccess } from '../transport.js';

/** One request to the runner's OIDC endpoint. */
export const RUNNER_OIDC_TIMEOUT_MS = 10_000;

export function runnerIdTokenFetcher(env: NodeJS.ProcessEnv, send: SendRequest, mask: (value: string) => void): FetchIdToken {
  const { ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken } = env;
  if (!url || !requestToken) {
    throw new GitHubOidcError('this step has no GitHub OIDC token to offer (ACTIONS_ID_TOKEN_REQUEST_URL is not set): the job needs `permissions: id-token: write`.');
  }
  return async (audience) => {
    let answer: HttpAnswer;
    try {
      answer = await send({ method: 'GET', url: `${url}&audience=${encodeURIComponent(audience)}`, headers: { Authorization: `Bearer ${requestToken}`, Accept: 'application/json' }, body: '' }, RUNNER_OIDC_TIMEOUT_MS);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      const what = error.code === 'TIMEOUT' ? `did not answer within ${RUNNER_OIDC_TIMEOUT_MS / 1000} s` : `could not be reached (${error.code})`;
      throw new GitHubOidcError(`the runner's OIDC endpoint ${what}.`);
    }
    if (!isSuccess(answer)) throw new GitHubOidcError(`the runner's OIDC endpoint answered HTTP ${answer.status}: ${outsideText(answer.body, 120)}`);
    let value: unknown;
    try {
      value = (JSON.parse(answer.body) as { value?: unknown }).value;
    } catch {
      value = undefined;
    }
    if (typeof value !== 'string' || !fitsFormat(value, 'token')) throw new GitHubOidcError("the runner's OIDC endpoint answered without a token.");
    mask(value);
    return value;
  };
}
