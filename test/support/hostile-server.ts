// One loopback server that plays a hostile Keycloak, RGW, GitHub API and runner
// OIDC endpoint at once: every field it answers holds the text it is given, so
// tests can prove that nothing a server says becomes a workflow command.
import { createServer } from 'node:http';
import type { ServerResponse } from 'node:http';
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
];

export type HostileScenario = 'tokens' | 'refused' | 'redirect' | 'sts-refused' | 'github-refused' | 'runner-refused';

export interface HostileServer {
  url: string;
  /** Every token and STS credential it answered with (the runner's OIDC token too), with when. */
  issued: Issued[];
  /** What the next answers hold and how they fail. */
  play(scenario: HostileScenario, text: string): void;
  close(): Promise<void>;
}

export async function startHostileServer(): Promise<HostileServer> {
  let scenario: HostileScenario = 'tokens';
  let text = '';
  let url = '';
  const issued: Issued[] = [];
  const server = createServer((req, res) => {
    recordIssued(res, issued);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString());
      const path = req.url ?? '';
      if (path.startsWith('/runner-token')) {
        return scenario === 'runner-refused' ? plain(res, 500, text) : json(res, 200, { value: fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main' }, 'oidc') });
      }
      if (path.endsWith('/protocol/openid-connect/certs')) return json(res, 200, { keys: [{ kid: 'enc', alg: text, use: text }, { kid: 'sig' }] });
      if (path.endsWith('/introspect')) return json(res, 200, { active: true, typ: text, exp: 4_000_000_000, azp: text, iss: text, scope: text });
      if (form.get('Action') === 'AssumeRoleWithWebIdentity') return sts(res, scenario, text);
      if (path.endsWith('/secrets/public-key')) return json(res, scenario === 'github-refused' ? 403 : 200, { key_id: text, key: text, message: text });
      if (req.method === 'PUT') return json(res, 422, { message: text });
      if (scenario === 'refused') return json(res, 400, { error: text, error_description: text });
      if (scenario === 'redirect') {
        res.writeHead(302, { Location: `http://127.0.0.2:9/${encodeURIComponent(text).slice(0, 2000)}` }).end();
        return;
      }
      const claims = { typ: text, azp: 'ceph-s3', iss: `${url}/realms/test`, sub: text, aud: [text, 'ceph-s3'], scope: text, exp: 4_000_000_000 };
      json(res, 200, {
        access_token: fakeJwt(claims, 'access', { alg: 'RS256', typ: 'JWT', kid: 'sig' }),
        refresh_token: fakeJwt({ ...claims, typ: text }, 'refresh'),
        id_token: fakeJwt(claims, 'id'),
        token_type: text,
        scope: text,
        session_state: text,
        expires_in: 300,
        refresh_expires_in: 1800,
      });
    });
  });
  url = await listenOnLoopback(server);
  return {
    url,
    issued,
    play: (next, hostileText) => {
      scenario = next;
      text = hostileText;
    },
    close: () => closeServer(server),
  };
}

function sts(res: ServerResponse, scenario: HostileScenario, text: string): void {
  const xml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (scenario === 'sts-refused') {
    res.writeHead(403, { 'Content-Type': 'application/xml' }).end(`<Error><Code>${xml(text)}</Code><Message>${xml(text)}</Message></Error>`);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/xml' }).end(
    `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>${xml(text)}</SubjectFromWebIdentityToken><Credentials><AccessKeyId>TEMPKEYID0001</AccessKeyId><SecretAccessKey>temp-secret-key-0001</SecretAccessKey><SessionToken>temp-session-token-0001</SessionToken><Expiration>${xml(text)}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function plain(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain' }).end(body);
}
