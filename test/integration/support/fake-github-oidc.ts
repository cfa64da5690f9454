// A stand-in for GitHub's OIDC issuer and the runner's ID-token endpoint, on the
// Docker bridge so that Keycloak in its container can fetch the JWKS. It signs
// RS256 tokens with GitHub's claim set; each `runnerEnv()` is one job, whose
// request token selects the claims the runner hands out for it.
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { recordIssued } from '../../support/issued.js';
import type { Issued } from '../../support/leak-check.js';
import { closeServer } from '../../support/loopback-server.js';
import type { KeycloakApi, Login, Tokens } from './keycloak-api.js';
import { TEST_PASSWORD_POLICY, userRepresentation } from './keycloak-api.js';

export const BOUND_SUB = 'repo:acme/pipeline:ref:refs/heads/main';
/** The sub of the same repository's jobs in environment production, bound to client `deployer`. */
export const DEPLOYER_SUB = 'repo:acme/pipeline:environment:production';

export interface JobClaims {
  sub: string;
  repository: string;
  ref: string;
  /** Seconds from now; negative for a token that has expired. */
  expiresIn: number;
  /** Seconds before now that the token was issued. */
  issuedAgo: number;
}

export interface FakeGitHubOidc {
  /** The issuer URL, as Keycloak's identity provider must name it. */
  issuer: string;
  jwksUrl: string;
  /** The runner's variables for a job whose OIDC tokens carry these claims. */
  runnerEnv(claims?: Partial<JobClaims>): Record<string, string>;
  /** A token signed now, for test set-up (e.g. the first login). */
  sign(audience: string, claims?: Partial<JobClaims>): string;
  /** The OIDC tokens the runner endpoint handed to the action: each must be masked. */
  handedOut: string[];
  /** The same, with when: the leak check's `issued` (what later steps got must be masked before it shows). */
  issued: Issued[];
  /** Request tokens and tokens signed for set-up: the action never sees them, nothing may print them. */
  unseen: string[];
  /** The audiences the runner endpoint was asked for. */
  audiences: string[];
  close(): Promise<void>;
}

const JOB: JobClaims = { sub: BOUND_SUB, repository: 'acme/pipeline', ref: 'refs/heads/main', expiresIn: 3600, issuedAgo: 0 };

/** The address of the Docker bridge on this host: containers reach the host there. */
export function dockerBridgeAddress(): string {
  const address = networkInterfaces().docker0?.find((a) => a.family === 'IPv4')?.address;
  if (address === undefined) throw new Error('no docker0 interface: the fake GitHub issuer must be reachable from Keycloak containers');
  return address;
}

export async function startFakeGitHubOidc(): Promise<FakeGitHubOidc> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jobs = new Map<string, JobClaims>();
  const handedOut: string[] = [];
  const issued: Issued[] = [];
  const unseen: string[] = [];
  const audiences: string[] = [];
  let issuer = '';

  const signToken = (audience: string, claims: JobClaims): string => {
    const now = Math.floor(Date.now() / 1000);
    const iat = now - claims.issuedAgo;
    const payload = {
      jti: randomUUID(),
      sub: claims.sub,
      aud: audience,
      ref: claims.ref,
      repository: claims.repository,
      repository_owner: claims.repository.split('/')[0],
      job_workflow_ref: `${claims.repository}/.github/workflows/ci.yml@${claims.ref}`,
      event_name: 'push',
      runner_environment: 'github-hosted',
      iss: issuer,
      nbf: iat - 300,
      iat,
      exp: now + claims.expiresIn,
    };
    const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT', kid })}.${encode(payload)}`;
    return `${unsigned}.${sign('sha256', Buffer.from(unsigned), privateKey).toString('base64url')}`;
  };

  const server = createServer((req, res) => {
    recordIssued(res, issued);
    const url = new URL(req.url ?? '/', issuer);
    const reply = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/jwks') {
      return reply(200, { keys: [{ ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
    }
    if (url.pathname === '/.well-known/openid-configuration') {
      return reply(200, { issuer, jwks_uri: `${issuer}/.well-known/jwks`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    if (url.pathname === '/runner/token') {
      const job = jobs.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (job === undefined) return reply(401, { message: 'bad request token' });
      // As GitHub: without audience= the token is for the owner's URL.
      const audience = url.searchParams.get('audience') ?? `https://github.com/${job.repository.split('/')[0]}`;
      audiences.push(audience);
      const token = signToken(audience, job);
      handedOut.push(token);
      return reply(200, { value: token });
    }
    reply(404, { message: 'not found' });
  });
  const host = dockerBridgeAddress();
  await new Promise<void>((ready) => server.listen(0, host, ready));
  issuer = `http://${host}:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks`,
    runnerEnv(claims = {}) {
      const requestToken = `runner-request-${randomUUID()}`;
      jobs.set(requestToken, { ...JOB, ...claims });
      unseen.push(requestToken);
      return { ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer}/runner/token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken };
    },
    sign: (audience, claims = {}) => {
      const token = signToken(audience, { ...JOB, ...claims });
      unseen.push(token);
      return token;
    },
    handedOut,
    issued,
    unseen,
    audiences,
    close: () => closeServer(server),
  };
}

/** The user and client of federatedRealm(realm). */
export function pipelineLogin(realm: string): Login {
  return { realm, clientId: 'pipeline', username: 'alice', password: 'alice-password-1' };
}

const federatedClient = (clientId: string, sub: string) => ({
  clientId,
  enabled: true,
  publicClient: false,
  clientAuthenticatorType: 'federated-jwt',
  serviceAccountsEnabled: true,
  directAccessGrantsEnabled: true,
  standardFlowEnabled: false,
  attributes: { 'jwt.credential.issuer': 'github-actions', 'jwt.credential.sub': sub },
});

/**
 * A realm whose client `pipeline` authenticates with GitHub OIDC tokens of
 * BOUND_SUB, and `deployer` with those of DEPLOYER_SUB (Keycloak's federated
 * client authentication), as docs/github-oidc.md sets it up.
 */
export function federatedRealm(realm: string, github: FakeGitHubOidc): Record<string, unknown> {
  return {
    realm,
    enabled: true,
    passwordPolicy: TEST_PASSWORD_POLICY,
    identityProviders: [
      {
        alias: 'github-actions',
        providerId: 'oidc',
        enabled: true,
        hideOnLogin: true,
        config: {
          issuer: github.issuer,
          useJwksUrl: 'true',
          jwksUrl: github.jwksUrl,
          validateSignature: 'true',
          supportsClientAssertions: 'true',
          supportsClientAssertionReuse: 'false',
          clientId: 'keycloak',
          clientAuthMethod: 'client_secret_post',
          syncMode: 'LEGACY',
        },
      },
    ],
    clients: [federatedClient('pipeline', BOUND_SUB), federatedClient('deployer', DEPLOYER_SUB)],
    users: [userRepresentation('alice')],
  };
}

/** A first login by password with an OIDC token as the client's credential: the stored token of a real set-up. */
export function firstLoginByPassword(api: KeycloakApi, github: FakeGitHubOidc, login: Login): Promise<Tokens> {
  return api.login({ ...login, scope: 'openid offline_access', clientAssertion: github.sign(`${api.baseUrl}/realms/${login.realm}`) });
}
