// A stand-in token endpoint on 127.0.0.1 for unit and bundle tests. The real
// Keycloak suite lives in test/integration; this one only plays back answers.
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { recordIssued } from './issued.js';
import type { Issued } from './leak-check.js';
import { closeServer, listenOnLoopback } from './loopback-server.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  form: URLSearchParams;
}

export type Responder = (request: RecordedRequest, response: ServerResponse) => void;

export interface FakeEndpoint {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Every token and STS credential it answered with, in order, with when: the leak check's `issued`. */
  issued: Issued[];
  /**
   * The post step's RFC 7009 revocations (revoke-on-post), answered 200 as Keycloak does
   * and kept apart from `requests`, unless `revocationsToo` hands them to the responder.
   */
  revocations: RecordedRequest[];
  revocationsToo(on: boolean): void;
  respondWith(responder: Responder): void;
  close(): Promise<void>;
}

export async function startFakeEndpoint(): Promise<FakeEndpoint> {
  const requests: RecordedRequest[] = [];
  const issued: Issued[] = [];
  const revocations: RecordedRequest[] = [];
  let answerRevocations = true;
  let responder: Responder = (_, response) => json(response, 500, { error: 'no responder set' });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        form: new URLSearchParams(Buffer.concat(chunks).toString()),
      };
      if (answerRevocations && recorded.url.endsWith('/protocol/openid-connect/revoke')) {
        revocations.push(recorded);
        res.writeHead(200).end();
        return;
      }
      requests.push(recorded);
      recordIssued(res, issued);
      responder(recorded, res);
    });
  });
  return {
    baseUrl: await listenOnLoopback(server),
    requests,
    issued,
    revocations,
    revocationsToo: (on) => (answerRevocations = !on),
    respondWith: (next) => (responder = next),
    close: () => closeServer(server),
  };
}

export function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

/** An unsigned JWT-shaped token with the given claims: enough for claim reading. */
export function fakeJwt(claims: Record<string, unknown>, salt = '', header: Record<string, unknown> = { alg: 'HS512', typ: 'JWT' }): string {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode(header)}.${encode(claims)}.${Buffer.from(`signature${salt}`).toString('base64url')}`;
}
