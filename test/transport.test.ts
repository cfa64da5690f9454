import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, TransportError, sendForm } from '../src/transport.js';
import type { FakeEndpoint } from './support/fake-token-endpoint.js';
import { json, startFakeEndpoint } from './support/fake-token-endpoint.js';

let endpoint: FakeEndpoint;
beforeEach(async () => {
  endpoint = await startFakeEndpoint();
});
afterEach(() => endpoint.close());

const request = () => ({
  url: `${endpoint.baseUrl}/realms/test/protocol/openid-connect/token`,
  headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic abc' },
  body: 'grant_type=refresh_token&refresh_token=r',
});

describe('sendForm', () => {
  it('posts the form once and returns status, type and body', async () => {
    endpoint.respondWith((_, res) => json(res, 400, { error: 'invalid_grant' }));
    const answer = await sendForm(request(), 5000);
    expect(answer).toMatchObject({ status: 400, contentType: 'application/json', body: '{"error":"invalid_grant"}' });
    expect(endpoint.requests).toHaveLength(1);
    expect(endpoint.requests[0]?.method).toBe('POST');
    expect(endpoint.requests[0]?.form.get('refresh_token')).toBe('r');
    expect(endpoint.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('does not retry a 503', async () => {
    endpoint.respondWith((_, res) => json(res, 503, {}));
    expect((await sendForm(request(), 5000)).status).toBe(503);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('reports a redirect without following it', async () => {
    endpoint.respondWith((_, res) => {
      res.writeHead(302, { Location: `${endpoint.baseUrl}/elsewhere` });
      res.end();
    });
    const answer = await sendForm(request(), 5000);
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(`${endpoint.baseUrl}/elsewhere`);
    expect(endpoint.requests).toHaveLength(1);
  });

  it('gives up on a body over the cap', async () => {
    endpoint.respondWith((_, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('x'.repeat(MAX_BODY_BYTES + 1));
    });
    await expect(sendForm(request(), 5000)).rejects.toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  it('times out a server that never answers', async () => {
    endpoint.respondWith(() => undefined);
    const started = Date.now();
    const error = await sendForm(request(), 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'TIMEOUT', timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a refused connection by its code', async () => {
    const url = request().url;
    await endpoint.close();
    await expect(sendForm({ ...request(), url }, 2000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    endpoint = await startFakeEndpoint();
  });
});
