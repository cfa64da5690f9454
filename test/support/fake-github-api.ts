// A local stand-in for GitHub's secrets API (the real one is out of reach
// here): it holds a libsodium key pair, serves the public key, and opens what
// is PUT, so tests can read back the stored value.
import { createServer } from 'node:http';
import sodium from 'libsodium-wrappers';
import { closeServer, listenOnLoopback } from './loopback-server.js';

export interface FakeGitHubApi {
  url: string;
  /** Opened secret values by path, e.g. /repos/o/r/actions/secrets/NAME. */
  stored: Map<string, string>;
  requests: { method: string; url: string; authorization: string | undefined }[];
  /** Answer every request with this status instead (e.g. 403). */
  failWith(status: number | undefined): void;
  close(): Promise<void>;
}

export const KEY_ID = '568250167242549743';

export async function startFakeGitHubApi(): Promise<FakeGitHubApi> {
  await sodium.ready;
  const keys = sodium.crypto_box_keypair();
  const publicKey = sodium.to_base64(keys.publicKey, sodium.base64_variants.ORIGINAL);
  const stored = new Map<string, string>();
  const requests: FakeGitHubApi['requests'] = [];
  let failure: number | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      const send = (status: number, body?: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(body === undefined ? '' : JSON.stringify(body));
      };
      if (failure !== undefined) return send(failure, { message: 'Resource not accessible by integration' });
      if (req.method === 'GET' && req.url?.endsWith('/secrets/public-key')) return send(200, { key_id: KEY_ID, key: publicKey });
      if (req.method === 'PUT' && /\/secrets\/[A-Za-z0-9_]+$/.test(req.url ?? '')) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { encrypted_value: string; key_id: string };
        if (body.key_id !== KEY_ID) return send(422, { message: 'Bad key_id' });
        const sealed = sodium.from_base64(body.encrypted_value, sodium.base64_variants.ORIGINAL);
        const opened = sodium.crypto_box_seal_open(sealed, keys.publicKey, keys.privateKey);
        const existed = stored.has(req.url ?? '');
        stored.set(req.url ?? '', sodium.to_string(opened));
        return send(existed ? 204 : 201);
      }
      send(404, { message: 'Not Found' });
    });
  });
  return {
    url: await listenOnLoopback(server),
    stored,
    requests,
    failWith: (status) => (failure = status),
    close: () => closeServer(server),
  };
}
