// A reverse proxy on loopback in front of the real Keycloak that misbehaves on
// request: it can fail before forwarding (so Keycloak never sees the token) or
// after (Keycloak has accepted, and maybe rotated, the token; the answer is
// lost or mangled). It records every refresh token it forwarded, and every token
// exchange with Keycloak's answer.
import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';

export type Fault =
  | 'pass'
  // before forwarding: Keycloak never sees the request
  | 'refuse-503'
  | 'reset-before-forward'
  | 'html-200'
  | 'redirect-elsewhere'
  // after forwarding: Keycloak has acted, the client gets something else
  | 'reset-mid-response'
  | 'stall'
  | 'html-502'
  | 'truncated-json'
  | 'json-without-access-token'
  | 'huge-body';

const BEFORE_FORWARDING: ReadonlySet<Fault> = new Set(['refuse-503', 'reset-before-forward', 'html-200', 'redirect-elsewhere']);

export interface FaultProxy {
  url: string;
  /** Faults for the next requests, in order; then every request passes. */
  plan(faults: Fault[]): void;
  /** The refresh_token of every refresh grant that reached Keycloak. */
  forwardedRefreshTokens: string[];
  /** Every token exchange (grant_type token-exchange) that reached Keycloak, with its answer. */
  exchanges: ForwardedExchange[];
  requests: number;
  close(): Promise<void>;
}

export interface ForwardedExchange {
  /** The audience parameters, in the order sent. */
  audiences: string[];
  subjectToken: string;
  status: number;
  /** The access token Keycloak answered with, if any. */
  accessToken: string | undefined;
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let planned: Fault[] = [];
  const sockets = new Set<Socket>();
  const proxy: FaultProxy = {
    url: '',
    plan: (faults) => {
      planned = [...faults];
    },
    forwardedRefreshTokens: [],
    exchanges: [],
    requests: 0,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };

  const server = createServer(async (req, res) => {
    proxy.requests++;
    const body = await readAll(req);
    const fault = planned.shift() ?? 'pass';
    if (BEFORE_FORWARDING.has(fault)) return failBeforeForwarding(fault, req, res);
    const form = new URLSearchParams(body.toString());
    if (form.get('grant_type') === 'refresh_token') proxy.forwardedRefreshTokens.push(form.get('refresh_token') ?? '');
    const answer = await forward(target, req, body);
    if (form.get('grant_type') === TOKEN_EXCHANGE) {
      proxy.exchanges.push({ audiences: form.getAll('audience'), subjectToken: form.get('subject_token') ?? '', status: answer.status, accessToken: accessTokenIn(answer.body) });
    }
    failAfterForwarding(fault, answer, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A stalled answer stays stalled when the client half-closes: Node's http server
  // would otherwise end the socket on the client's FIN, which no frozen server does.
  Object.assign(server, { httpAllowHalfOpen: true });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${target.pathname.replace(/\/$/, '')}`;
  return proxy;
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function failBeforeForwarding(fault: Fault, req: IncomingMessage, res: ServerResponse): void {
  switch (fault) {
    case 'refuse-503':
      res.writeHead(503, { 'Content-Type': 'text/html', 'Retry-After': '1' }).end('<html>Service Unavailable</html>');
      return;
    case 'reset-before-forward':
      req.socket.destroy();
      return;
    case 'html-200':
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html><form>Sign in to the corporate proxy</form></html>');
      return;
    default:
      res.writeHead(302, { Location: 'http://127.0.0.2:9/collect?from=proxy' }).end();
  }
}

function failAfterForwarding(fault: Fault, answer: Upstream, res: ServerResponse): void {
  switch (fault) {
    case 'pass':
      res.writeHead(answer.status, answer.headers).end(answer.body);
      return;
    case 'reset-mid-response':
      res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': answer.body.length });
      res.write(answer.body.subarray(0, answer.body.length / 2));
      setTimeout(() => res.socket?.destroy(), 50);
      return;
    case 'stall':
      return; // never answers nor closes; close() ends the socket
    case 'html-502':
      res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><h1>502 Bad Gateway</h1></html>');
      return;
    case 'truncated-json':
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(answer.body.subarray(0, answer.body.length / 2));
      return;
    case 'json-without-access-token':
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token_type":"Bearer","expires_in":300}');
      return;
    default: // huge-body
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(`{"padding":"${'x'.repeat(2 * 1024 * 1024)}"}`);
  }
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      async (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: await readAll(res) }),
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

function accessTokenIn(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString()) as { access_token?: unknown };
    return typeof parsed.access_token === 'string' ? parsed.access_token : undefined;
  } catch {
    return undefined;
  }
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
