// The failure-kind output: a stable identifier for every way the step can fail,
// so that a workflow can branch on it (`if: failure() && steps.x.outputs.failure-kind == ...`).
import { GitHubOidcError } from './github/oidc-token.js';
import { SecretUpdateError } from './github/github-secret.js';
import { InputError } from './input-values.js';
import { KEYCLOAK_FAILURE_KINDS, KeycloakError } from './keycloak/keycloak-error.js';
import { STS_FAILURE_KINDS, StsError } from './s3/sts-error.js';

/** Every value failure-kind can take; docs/troubleshooting.md's table lists exactly these. */
export const STEP_FAILURE_KINDS = [
  ...KEYCLOAK_FAILURE_KINDS,
  ...STS_FAILURE_KINDS,
  // A bad input: nothing was sent.
  'input',
  // The runner gave no OIDC token (no id-token: write permission) or could not.
  'github-oidc-unavailable',
  // The new refresh token could not be stored with update-secret.
  'secret-update-failed',
  'unexpected',
] as const;

export type StepFailureKind = (typeof STEP_FAILURE_KINDS)[number];

export function describeFailure(error: unknown): { kind: StepFailureKind; message: string } {
  if (error instanceof KeycloakError) return { kind: error.kind, message: error.message };
  if (error instanceof StsError) return { kind: error.kind, message: error.message };
  if (error instanceof InputError) return { kind: 'input', message: error.message };
  if (error instanceof GitHubOidcError) return { kind: 'github-oidc-unavailable', message: error.message };
  if (error instanceof SecretUpdateError) return { kind: 'secret-update-failed', message: error.message };
  return { kind: 'unexpected', message: `Unexpected error: ${error instanceof Error ? error.message : String(error)}` };
}
