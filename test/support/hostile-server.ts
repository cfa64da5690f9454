// One loopback server that plays a hostile Keycloak, RGW, GitHub API and runner
// OIDC endpoint at once: every field it answers holds the text it is given (with
// inTokens, inside the tokens and STS keys too), so tests can prove that nothing
// a server says becomes a workflow command.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
import nacl from 'tweetnacl';
import { fakeJwt } from './fake-token-endpoint.js';
import { recordIssued } from './issued.js';
import type { Issued } from './leak-check.js';
import { closeServer, listenOnLoopback } from './loopback-server.js';

/** Pieces that would command the runner if printed as they are. */
export const FORGED = 'FORGED';
export const HOSTILE_PIECES = [
  `\n::error::${FORGED} error`,
  `##[stop-commands]${FORGED}`,
  `\r\n::add-mask::${FORGED}`,
  `::warning::${FORGED}`,
  `<img src=x onerror=alert('${FORGED}')>`,
  `%0A::notice::${FORGED}`,
  `\u2028::notice::${FORGED}`,
  // The runner also ends a line at a bare \r, and trims U+0085 and U+00A0 before `::`.
  `\r::warning::${FORGED}`,
  `\r\u0085::error::${FORGED}`,
  `\n\u00a0::add-mask::${FORGED}`,
  `\n##[set-output name=scope]${FORGED}`,
  `\u001b[31m${FORGED}`,
  // .NET's ReadLine ends a line at a lone carriage return too.
  `\r::warning::${FORGED}`,
  `\r##[stop-commands]${FORGED}`,
  // NEL and LINE SEPARATOR end no line for the runner, but may for a later reader.
  `\u0085::error::${FORGED}`,
  `\u2028##[add-mask]${FORGED}`,
];

/**
 * tokens: everything answered; refused: Keycloak refuses every grant;
 * fallback: Keycloak refuses only the refresh_token grant (a dead stored token);
 * exchange-refused: Keycloak refuses only the token exchange (audience);
 * sts-refused: RGW refuses; github-refused: GitHub refuses the public key;
 * runner-refused: the runner's OIDC endpoint refuses.
 * revoke-refused: tokens are answered, the post step's revocations refused with the text.
 */
export type HostileScenario = 'tokens' | 'refused' | 'redirect' | 'fallback' | 'exchange-refused' | 'sts-refused' | 'github-refused' | 'runner-refused' | 'revoke-refused';

export interface HostileOptions {
  /** The text raw inside every token (access, refresh, id, the runner's OIDC token), besides the other fields. */
  inTokens?: boolean;
  /** The text raw inside the STS keys (AccessKeyId, SecretAccessKey, SessionToken). */
  inKeys?: boolean;
  /** expires_in of the tokens: 1 makes keycloak-token refresh on every call. */
  expiresIn?: number;
  /** A real Expiration this many seconds ahead (keycloak-token assumes the role again under 15 minutes), instead of the text. */
  credentialsExpireIn?: number;
  /** GitHub serves a usable public key and stores the PUT (its answers still hold the text). */
  githubStores?: boolean;
}

export interface HostileServer {
  url: string;
  /** Every token and STS credential it answered with (the runner's OIDC token too), with when. */
  issued: Issued[];
  /** What the next answers hold and how they fail. */
  play(scenario: HostileScenario, text: string, options?: HostileOptions): void;
  /** How many token answers it has given: each has a refresh token of its own. */
  readonly answers: number;
  close(): Promise<void>;
}

export async function startHostileServer(): Promise<HostileServer> {
  let scenario: HostileScenario = 'tokens';
  let text = '';
  let options: HostileOptions = {};
  let url = '';
  let answers = 0;
  const issued: Issued[] = [];
  const githubKey = Buffer.from(nacl.box.keyPair().publicKey).toString('base64');
  /** A token as answered: with inTokens the text is part of it. */
  const token = (jwt: string) => (options.inTokens ? `${jwt}${text}` : jwt);
  const server = createServer((req, res) => {
    recordIssued(res, issued);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const path = req.url ?? '';
      if (path.startsWith('/runner-token')) {
        return scenario === 'runner-refused' ? plain(res, 500, text) : json(res, 200, { value: token(fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main' }, 'oidc')) });
      }
      if (path.endsWith('/protocol/openid-connect/certs')) return json(res, 200, { keys: [{ kid: 'enc', alg: text, use: text }, { kid: 'sig' }] });
      if (path.endsWith('/protocol/openid-connect/revoke') && scenario === 'revoke-refused') return json(res, 400, { error: text, error_description: text });
      if (path.endsWith('/introspect')) return json(res, 200, { active: true, typ: text, exp: 4_000_000_000, azp: text, iss: text, scope: text });
      if (form.get('Action') === 'AssumeRoleWithWebIdentity') return sts(res, scenario, text, options);
      if (path.endsWith('/secrets/public-key')) {
        return json(res, scenario === 'github-refused' ? 403 : 200, { key_id: text, key: options.githubStores ? githubKey : text, message: text });
      }
      if (req.method === 'PUT') return json(res, options.githubStores ? 201 : 422, { message: text });
      const grant = form.get('grant_type');
      const refused =
        scenario === 'refused' ||
        (scenario === 'fallback' && grant === 'refresh_token') ||
        (scenario === 'exchange-refused' && grant === 'urn:ietf:params:oauth:grant-type:token-exchange');
      if (refused) return json(res, 400, { error: text, error_description: text });
      if (scenario === 'redirect') {
        res.writeHead(302, { Location: `http://127.0.0.2:9/${encodeURIComponent(text).slice(0, 2000)}` }).end();
        return;
      }
      const claims = { typ: text, azp: 'ceph-s3', iss: `${url}/realms/test`, sub: text, aud: [text, 'ceph-s3'], scope: text, exp: 4_000_000_000 };
      answers++;
      json(res, 200, {
        access_token: token(fakeJwt(claims, `access${answers}`, { alg: 'RS256', typ: 'JWT', kid: 'sig' })),
        refresh_token: token(fakeJwt({ ...claims, typ: text }, `refresh${answers}`)),
        id_token: token(fakeJwt(claims, 'id')),
        token_type: text,
        scope: text,
        session_state: text,
        expires_in: options.expiresIn ?? 300,
        refresh_expires_in: 1800,
      });
    });
  });
  url = await listenOnLoopback(server);
  return {
    url,
    issued,
    play: (next, hostileText, nextOptions = {}) => {
      scenario = next;
      text = hostileText;
      options = nextOptions;
    },
    get answers() {
      return answers;
    },
    close: () => closeServer(server),
  };
}

function sts(res: ServerResponse, scenario: HostileScenario, text: string, options: HostileOptions): void {
  const xml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (scenario === 'sts-refused') {
    res.writeHead(403, { 'Content-Type': 'application/xml' }).end(`<Error><Code>${xml(text)}</Code><Message>${xml(text)}</Message></Error>`);
    return;
  }
  const key = (value: string) => xml(options.inKeys ? `${value}${text}` : value);
  const expiration = options.credentialsExpireIn === undefined ? text : new Date(Date.now() + options.credentialsExpireIn * 1000).toISOString();
  res.writeHead(200, { 'Content-Type': 'application/xml' }).end(
    `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>${xml(text)}</SubjectFromWebIdentityToken><Credentials><AccessKeyId>${key('TEMPKEYID0001')}</AccessKeyId><SecretAccessKey>${key('temp-secret-key-0001')}</SecretAccessKey><SessionToken>${key('temp-session-token-0001')}</SessionToken><Expiration>${xml(expiration)}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
}
