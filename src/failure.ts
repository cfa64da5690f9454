// The failure-kind output: a stable identifier for every way the step can fail,
// so that a workflow can branch on it (`if: failure() && steps.x.outputs.failure-kind == ...`).
import { GitHubOidcError } from './github/oidc-token.js';
import { SecretUpdateError } from './github/github-secret.js';
import { InputError } from './input-values.js';
import type { FailureKind } from './keycloak/keycloak-error.js';
import { KeycloakError } from './keycloak/keycloak-error.js';
import type { StsFailureKind } from './s3/sts-error.js';
import { StsError } from './s3/sts-error.js';

export type StepFailureKind =
  | FailureKind
  | StsFailureKind
  /** A bad input: nothing was sent. */
  | 'input'
  /** The runner gave no OIDC token (no id-token: write permission) or could not. */
  | 'github-oidc-unavailable'
  /** The new refresh token could not be stored with update-secret. */
  | 'secret-update-failed'
  | 'unexpected';

export function describeFailure(error: unknown): { kind: StepFailureKind; message: string } {
  if (error instanceof KeycloakError) return { kind: error.kind, message: error.message };
  if (error instanceof StsError) return { kind: error.kind, message: error.message };
  if (error instanceof InputError) return { kind: 'input', message: error.message };
  if (error instanceof GitHubOidcError) return { kind: 'github-oidc-unavailable', message: error.message };
  if (error instanceof SecretUpdateError) return { kind: 'secret-update-failed', message: error.message };
  return { kind: 'unexpected', message: `Unexpected error: ${error instanceof Error ? error.message : String(error)}` };
}
