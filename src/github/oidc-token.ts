// The job's GitHub OIDC token, which the runner hands out only to jobs with
// `permissions: id-token: write`. The request itself is runner-oidc.ts's,
// passed in by main.ts; this module says clearly why it cannot work.
import { outsideText } from '../outside-text.js';
import type { FetchIdToken } from '../keycloak/client-auth/index.js';

export class GitHubOidcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitHubOidcError';
  }
}

/**
 * Fails before any request to Keycloak when the runner offers no OIDC token,
 * and turns the runner's failures into one explained line.
 */
export function idTokenFetcher(env: NodeJS.ProcessEnv, getIdToken: FetchIdToken): FetchIdToken {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new GitHubOidcError(
      "client-auth: github-oidc needs the job's OIDC token, but the runner offers none (ACTIONS_ID_TOKEN_REQUEST_URL is not set): add `permissions: id-token: write` to the job. Pull requests from forks never get one.",
    );
  }
  return async (audience) => {
    try {
      return await getIdToken(audience);
    } catch (error) {
      const reason = outsideText(error instanceof Error ? error.message : String(error), 200);
      throw new GitHubOidcError(`Could not get the job's GitHub OIDC token from the runner: ${reason}`);
    }
  };
}
