// What a fake server hands out, recorded with when, for the leak check
// (leak-check.ts `issued`): every token in a JSON answer and every credential
// in an STS answer, taken from the bytes the server really sent.
import type { ServerResponse } from 'node:http';
import type { Issued } from './leak-check.js';

const JSON_TOKENS = ['access_token', 'refresh_token', 'id_token', 'value'];
const STS_CREDENTIALS = ['AccessKeyId', 'SecretAccessKey', 'SessionToken'];

/** The tokens and credentials in an answer body: JSON token fields, STS XML credentials. */
export function credentialsIn(body: string): Omit<Issued, 'at'>[] {
  const found: Omit<Issued, 'at'>[] = [];
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      for (const kind of JSON_TOKENS) {
        const value = (parsed as Record<string, unknown>)[kind];
        if (typeof value === 'string' && value !== '') found.push({ kind, value });
      }
    }
  } catch {
    for (const kind of STS_CREDENTIALS) {
      const value = new RegExp(`<${kind}>([^<]+)</${kind}>`).exec(body)?.[1];
      if (value !== undefined) found.push({ kind, value });
    }
  }
  return found;
}

/** Records into `issued` what every successful answer written through `res` hands out. */
export function recordIssued(res: ServerResponse, issued: Issued[]): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const [chunk] = args;
    if (res.statusCode < 400 && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
      const at = performance.now();
      for (const credential of credentialsIn(chunk.toString())) issued.push({ ...credential, at });
    }
    return end(...args);
  }) as ServerResponse['end'];
}
