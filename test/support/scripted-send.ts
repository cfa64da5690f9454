// A transport that plays back answers (or throws transport failures) in order,
// for tests of the pure core.
import { vi } from 'vitest';
import type { FormRequest, HttpAnswer } from '../../src/transport.js';
import { TransportError } from '../../src/transport.js';

/** A SendForm by default (Keycloak's form posts); scriptedSend<HttpRequest> makes a SendRequest. */
export function scriptedSend<Request = FormRequest>(outcomes: (HttpAnswer | TransportError)[]) {
  const queue = [...outcomes];
  return vi.fn<(request: Request, timeoutMs: number) => Promise<HttpAnswer>>(async () => {
    const next = queue.shift();
    if (next === undefined) throw new Error('the test scripted no more answers');
    if (next instanceof TransportError) throw next;
    return next;
  });
}

export function jsonAnswer(status: number, body: unknown): HttpAnswer {
  return { status, contentType: 'application/json', body: JSON.stringify(body) };
}
