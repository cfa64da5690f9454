// Why RGW may have refused the access token as a web identity, from what the
// action can see: the token's claims and the realm's JWKS. RGW itself says
// nothing useful in its answer (AccessDenied, no message), and verifies only
// with the FIRST key of the issuer's JWKS, which Keycloak 26 fills with its
// RSA-OAEP encryption key unless rsa-generated has a higher priority.
import { jwtDecode } from 'jwt-decode';
import { readClaims } from '../jwt-claims.js';
import { outsideText } from '../outside-text.js';
import { withoutTrailingSlashes } from '../text.js';
import type { SendRequest } from '../transport.js';

export const JWKS_TIMEOUT_MS = 5_000;

export interface WebIdentityContext {
  clientId: string;
  /** The JWKS is fetched only from this origin: a token's iss is not trusted to name a host. */
  keycloakUrl: string;
}

export interface DiagnosisDeps {
  send: SendRequest;
  now: () => number;
}

/** Sentences, each naming one thing that is wrong, or what to check when nothing visibly is. */
export async function diagnoseWebIdentity(accessToken: string, { clientId, keycloakUrl }: WebIdentityContext, deps: DiagnosisDeps): Promise<string[]> {
  const claims = readClaims(accessToken);
  if (claims === undefined) return ['The access token is not a JWT, so RGW cannot verify it: RGW needs Keycloak\'s signed (non-lightweight) access tokens.'];
  const findings: string[] = [];
  if (claims.exp !== undefined && claims.exp * 1000 <= deps.now()) findings.push('The access token has expired.');
  if (claims.aud === undefined) {
    findings.push(`The access token has no aud claim: add an Audience mapper (oidc-audience-mapper) to client '${clientId}' that includes the client ID registered with RGW's OIDC provider (--client-id-list).`);
  }
  const jwksAtKeycloak = claims.iss !== undefined && originOf(claims.iss) === originOf(keycloakUrl);
  const keyFinding = jwksAtKeycloak ? await firstKeyFinding(accessToken, claims.iss as string, deps) : undefined;
  if (keyFinding !== undefined) findings.push(keyFinding);
  if (findings.length > 0) return findings;
  const notFetched = jwksAtKeycloak ? [] : [`The token's issuer (${claims.iss ?? 'none'}) is not at keycloak-url's origin, so the action did not fetch its JWKS to compare keys.`];
  return [
    ...notFetched,
    `Check on RGW: an OIDC provider for exactly '${claims.iss ?? 'the token issuer'}' (iam create-open-id-connect-provider --url, same scheme, host and port) whose --client-id-list holds the token's aud (${claims.aud?.join(', ')}) or azp (${claims.azp ?? 'none'}); a role whose trust policy names that provider and whose conditions (app_id, sub) this token meets; and that RGW can fetch ${claims.iss ?? 'the issuer'}/.well-known/openid-configuration. RGW's log (debug_rgw 5) names the reason.`,
  ];
}

async function firstKeyFinding(accessToken: string, issuer: string, deps: DiagnosisDeps): Promise<string | undefined> {
  let kid: string | undefined;
  try {
    kid = jwtDecode<{ kid?: string }>(accessToken, { header: true }).kid;
  } catch {
    return undefined;
  }
  const url = `${withoutTrailingSlashes(issuer)}/protocol/openid-connect/certs`;
  let first: { kid?: unknown; alg?: unknown; use?: unknown } | undefined;
  try {
    const answer = await deps.send({ method: 'GET', url, headers: { Accept: 'application/json' }, body: '' }, JWKS_TIMEOUT_MS);
    if (answer.status !== 200) return `The issuer's JWKS (${url}) answered HTTP ${answer.status}: RGW cannot verify the token either.`;
    first = (JSON.parse(answer.body) as { keys?: { kid?: unknown; alg?: unknown; use?: unknown }[] }).keys?.[0];
  } catch {
    return `The issuer's JWKS (${url}) could not be read from here; RGW must be able to fetch it.`;
  }
  if (first === undefined || kid === undefined || first.kid === kid) return undefined;
  const use = first.use ? ` (use ${outsideText(String(first.use), 20)})` : '';
  return `RGW verifies with the first key of the issuer's JWKS, which is ${outsideText(String(first.alg ?? 'a key'), 20)}${use}, not the key that signed this token: raise the priority of rsa-generated above the other keys (Realm settings, Keys, Providers), or disable rsa-enc-generated.`;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
