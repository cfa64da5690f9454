// Sends one request (a form POST to Keycloak, JSON to GitHub's API) with
// @actions/http-client, which honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY. It
// never retries (keycloak/retry.ts decides that) and never follows redirects: a
// redirect would carry the credentials to wherever the Location points.
import { HttpClient } from '@actions/http-client';
import type { RequestHandler } from '@actions/http-client/lib/interfaces';

export interface FormRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** CA certificates to trust for this request only, besides Node's (ca-certificate). */
  extraCas?: string[];
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  /** The Location header of a redirect, which is reported, never followed. */
  location?: string;
  retryAfter?: string;
  body: string;
}

export type SendForm = (request: FormRequest, timeoutMs: number) => Promise<HttpAnswer>;

export function isSuccess(answer: HttpAnswer): boolean {
  return answer.status >= 200 && answer.status < 300;
}

/** A request that produced no HTTP answer. `code` is Node's error code, or TIMEOUT / BODY_TOO_LARGE. */
export class TransportError extends Error {
  constructor(
    readonly code: string,
    readonly url: string,
    readonly timeoutMs: number,
  ) {
    super(`${code} from ${url}`);
    this.name = 'TransportError';
  }
}

/** Whether a TransportError's code says the server's certificate was not trusted (or TLS failed). */
export function isTlsErrorCode(code: string): boolean {
  return /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

/** Token responses are a few kB; anything this large is not Keycloak talking. */
export const MAX_BODY_BYTES = 1024 * 1024;

const USER_AGENT = 'keycloak-token-refresh-action';

export interface HttpRequest extends FormRequest {
  method: 'GET' | 'POST' | 'PUT';
}

export type SendRequest = (request: HttpRequest, timeoutMs: number) => Promise<HttpAnswer>;

/** Each request's deadline cut to what is left of a budget that ends at `deadline` (at least 1 ms). */
export function withinDeadline<R, A>(send: (request: R, timeoutMs: number) => Promise<A>, deadline: number, now: () => number = Date.now) {
  return (request: R, timeoutMs: number): Promise<A> => send(request, Math.max(1, Math.min(timeoutMs, deadline - now())));
}

export const sendForm: SendForm = (request, timeoutMs) => sendRequest({ ...request, method: 'POST' }, timeoutMs);

export const sendRequest: SendRequest = async (request, timeoutMs) => {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new TransportError('TIMEOUT', request.url, timeoutMs)), timeoutMs);
  const handlers = [abortingAt(deadline.signal), ...(request.extraCas?.length ? [trusting(request.extraCas)] : [])];
  const client = new HttpClient(USER_AGENT, handlers, { allowRedirects: false, allowRetries: false, keepAlive: false });
  const timedOut = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error)));
  try {
    return await Promise.race([roundTrip(client, request, timeoutMs), timedOut]);
  } catch (error) {
    throw asTransportError(deadline.signal.aborted ? deadline.signal.reason : error, request.url, timeoutMs);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Destroys the request, its socket and a proxy's CONNECT request at the
 * deadline. A timer alone, or http-client's socket timeout (a half-close),
 * leaves a silent peer's socket open, and the step never exits.
 */
function abortingAt(signal: AbortSignal): RequestHandler {
  return {
    prepareRequest(options) {
      Object.assign(options, { signal });
      const agent = options.agent as { request?: (connectOptions: object, ...rest: unknown[]) => unknown } | undefined;
      const connect = agent?.request;
      if (agent !== undefined && typeof connect === 'function') {
        agent.request = (connectOptions: object, ...rest: unknown[]) => connect.call(agent, { ...connectOptions, signal }, ...rest);
      }
    },
    canHandleAuthentication: () => false,
    handleAuthentication: () => Promise.reject(new Error('not used')),
  };
}

/**
 * Trusts extra CAs on this client's connections only, never process-wide. A
 * direct connection takes `ca` from the request; a proxy's tunnel agent takes it
 * from its own options, which the toolkit sets the same way for ignoreSslError.
 */
function trusting(extraCas: string[]): RequestHandler {
  const tls = process.getBuiltinModule('node:tls');
  const ca = [...tls.getCACertificates('default'), ...extraCas];
  return {
    prepareRequest(options) {
      Object.assign(options, { ca });
      const agent = options.agent as { options?: object } | undefined;
      if (agent !== undefined) agent.options = { ...agent.options, ca };
    },
    canHandleAuthentication: () => false,
    handleAuthentication: () => Promise.reject(new Error('not used')),
  };
}

async function roundTrip(client: HttpClient, request: HttpRequest, timeoutMs: number): Promise<HttpAnswer> {
  const response = await client.request(request.method, request.url, request.method === 'GET' ? null : request.body, request.headers);
  const message = response.message;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      message.destroy();
      throw new TransportError('BODY_TOO_LARGE', request.url, timeoutMs);
    }
    chunks.push(chunk as Buffer);
  }
  return {
    status: message.statusCode ?? 0,
    contentType: String(message.headers['content-type'] ?? ''),
    location: message.headers.location,
    retryAfter: message.headers['retry-after'],
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

function asTransportError(error: unknown, url: string, timeoutMs: number): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code !== '') return new TransportError(code, url, timeoutMs);
  // http-client reports its socket timeout as a plain Error.
  if (error instanceof Error && error.message.startsWith('Request timeout')) {
    return new TransportError('TIMEOUT', url, timeoutMs);
  }
  return new TransportError('REQUEST_FAILED', url, timeoutMs);
}
