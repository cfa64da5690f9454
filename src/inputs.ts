// The action's inputs. Each feature parses and validates its own next to its
// code; this module composes them and holds the rules that tie one feature's
// inputs to another's (CROSS_FEATURE_RULES below).
//
// One rule for action.yml defaults: GitHub's runner passes every action.yml
// default as INPUT_* whether the workflow set the input or not, so a default
// is never the user's choice. Therefore an input that only applies together
// with another input has NO default in action.yml (`default: ""`, the default
// stated in its description and applied in code), and every input with a
// non-empty action.yml default must be valid in every mode.
// test/inputs.test.ts checks both against action.yml.
import type { AudienceInputs } from './keycloak/audience-inputs.js';
import { parseAudienceInputs } from './keycloak/audience-inputs.js';
import type { CheckInputs } from './keycloak/check-inputs.js';
import { parseCheckInputs } from './keycloak/check-inputs.js';
import type { ClientInputs } from './keycloak/client-auth/client-auth-inputs.js';
import { isConfidential, parseClientInputs } from './keycloak/client-auth/client-auth-inputs.js';
import type { ConnectionInputs } from './keycloak/connection-inputs.js';
import { parseConnectionInputs } from './keycloak/connection-inputs.js';
import type { TokenInputs } from './keycloak/token-inputs.js';
import { parseTokenInputs } from './keycloak/token-inputs.js';
import type { SecretUpdate } from './github/secret-inputs.js';
import { parseSecretUpdate } from './github/secret-inputs.js';
import type { InputReader } from './input-values.js';
import { InputError, readBoolean, readChoice } from './input-values.js';
import type { PublishInputs } from './publish-inputs.js';
import { parsePublishInputs } from './publish-inputs.js';
import type { S3Role } from './s3/role-inputs.js';
import { parseS3Role } from './s3/role-inputs.js';
import type { KeepFreshInputs } from './token-command/keep-fresh-inputs.js';
import type { RevokeInputs } from './keycloak/revoke-inputs.js';
import { parseRevokeInputs } from './keycloak/revoke-inputs.js';
import { parseKeepFreshInputs } from './token-command/keep-fresh-inputs.js';

export const MODES = ['refresh', 'check'] as const;
export type Mode = (typeof MODES)[number];

export interface ActionInputs {
  mode: Mode;
  connection: ConnectionInputs;
  client: ClientInputs;
  tokens: TokenInputs;
  check: CheckInputs;
  /** Plain http:// to a host off the runner is refused unless this is set (it then warns). */
  allowInsecureHttp: boolean;
  /** Raw ca-certificate input (PEM text or a file path) for keycloak-url and sts-endpoint; ca-certificates.ts reads it. */
  caCertificate: string;
  publishing: PublishInputs;
  /** Where a new refresh token is stored back, when asked. */
  updateSecret: SecretUpdate | undefined;
  /** The role to assume at RGW's STS with the new access token, when asked (role-to-assume). */
  s3Role: S3Role | undefined;
  /** The keycloak-token command and AWS profile for later steps. */
  keepFresh: KeepFreshInputs;
  /** The access token narrowed to these clients by token exchange, when asked (audience). */
  audience: AudienceInputs | undefined;
  /** What the post step revokes (revoke-on-post). */
  revocation: RevokeInputs;
}

export interface ParsedInputs {
  inputs: ActionInputs;
  /** Things that are allowed but deserve a loud warning. Never contain input values. */
  warnings: string[];
}

/** Inputs that carry secrets: masked before they are parsed. */
export const SECRET_INPUTS = ['refresh-token', 'client-secret', 'password', 'update-secret-token'] as const;

export function parseInputs(read: InputReader): ParsedInputs {
  // Every URL input obeys one switch for plain http://.
  const http = { allowInsecureHttp: readBoolean(read, 'allow-insecure-http', false), warnings: [] };
  const mode = readChoice(read, 'mode', MODES, 'refresh');
  const connection = parseConnectionInputs(read, http);
  const client = parseClientInputs(read, connection);
  const inputs: ActionInputs = {
    mode,
    connection,
    client,
    tokens: parseTokenInputs(read),
    check: parseCheckInputs(read, isConfidential(client)),
    allowInsecureHttp: http.allowInsecureHttp,
    caCertificate: read('ca-certificate'),
    publishing: parsePublishInputs(read),
    updateSecret: parseSecretUpdate(read),
    s3Role: parseS3Role(read, http),
    keepFresh: parseKeepFreshInputs(read),
    audience: parseAudienceInputs(read),
    revocation: parseRevokeInputs(read),
  };
  for (const rule of CROSS_FEATURE_RULES) rule(inputs);
  return { inputs, warnings: http.warnings };
}

/** The rules between features, checked in this order once every feature has parsed its own inputs. */
const CROSS_FEATURE_RULES: readonly ((inputs: ActionInputs) => void)[] = [
  function fallbackOnlyWhenRefreshing({ mode, tokens }) {
    if (mode === 'check' && tokens.fallback !== 'none') {
      throw new InputError('fallback', 'only applies with mode: refresh: a check must report a dead token, not log in around it');
    }
  },
  function clientCredentialsNeedAConfidentialClient({ tokens, client }) {
    if (tokens.fallback === 'client-credentials' && !isConfidential(client)) {
      throw new InputError('fallback', "is 'client-credentials' but client-secret is empty (and client-auth is not github-oidc): only a confidential client with a service account can log in that way");
    }
  },
  // A login (fallback, or github-oidc's client credentials grant) may replace the refresh; a check needs the token.
  function refreshTokenUnlessALoginReplacesIt({ mode, tokens, client }) {
    const loginInstead = mode === 'refresh' && (tokens.fallback !== 'none' || client.clientAuth === 'github-oidc');
    if (tokens.refreshToken === '' && !loginInstead) {
      throw new InputError('refresh-token', 'is empty: pass the stored token, e.g. ${{ secrets.KEYCLOAK_REFRESH_TOKEN }}');
    }
  },
  function introspectionNeedsAConfidentialClient({ check, client }) {
    if (check.method === 'introspect' && !isConfidential(client)) {
      throw new InputError('check-method', "is 'introspect' but client-secret is empty: Keycloak lets only confidential clients introspect (use 'refresh')");
    }
  },
  function thresholdsOnlyWhenChecking({ mode, check }) {
    if (mode === 'check') return;
    if (check.minValiditySeconds !== undefined) throw new InputError('min-validity', 'only applies with mode: check');
    if (check.warnValiditySeconds !== undefined) throw new InputError('warn-validity', 'only applies with mode: check');
  },
  function secretUpdateNeedsNewTokens({ mode, check, updateSecret }) {
    if (updateSecret !== undefined && mode === 'check' && check.method === 'introspect') {
      throw new InputError('update-secret', 'has nothing to store when mode: check introspects (the token is not used); use check-method: refresh');
    }
  },
  function roleOnlyWhenRefreshing({ mode, s3Role }) {
    if (s3Role !== undefined && mode !== 'refresh') throw new InputError('role-to-assume', 'only applies with mode: refresh');
  },
  function audienceOnlyWhenRefreshing({ mode, audience }) {
    if (audience !== undefined && mode !== 'refresh') throw new InputError('exchange-audience', 'only applies with mode: refresh');
  },
  // Keycloak refuses public clients a token exchange.
  function audienceNeedsAConfidentialClient({ audience, client }) {
    if (audience !== undefined && !isConfidential(client)) {
      throw new InputError('exchange-audience', 'needs a confidential client (client-secret, or client-auth: github-oidc): Keycloak refuses public clients a token exchange');
    }
  },
  function keepFreshOnlyWhenRefreshing({ mode, keepFresh }) {
    if (keepFresh.keepFresh && mode !== 'refresh') throw new InputError('keep-fresh', 'only applies with mode: refresh');
  },
  function awsProfileNeedsARole({ keepFresh, s3Role }) {
    if (keepFresh.awsProfile !== undefined && s3Role === undefined) {
      throw new InputError('aws-profile', 'is only used with role-to-assume: the profile gets its credentials from RGW\'s STS');
    }
  },
];
