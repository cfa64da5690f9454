// ca-certificate is trusted for keycloak-url (and sts-endpoint) only: a GitHub
// API or runner OIDC endpoint behind a certificate of that CA is refused.
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeJwt } from './support/fake-token-endpoint.js';
import { expectNoLeaks, visibleLog } from './support/leak-check.js';
import { runAction } from './support/run-action.js';
import type { TestCa } from './support/test-ca.js';
import { makeTestCa } from './support/test-ca.js';

let ca: TestCa;
let server: Server;
let url: string;
const paths: string[] = [];
const storedRefresh = fakeJwt({ typ: 'Refresh' }, 'Stored7Refresh');

beforeAll(async () => {
  ca = makeTestCa(['127.0.0.1']);
  // One TLS server with a certificate of the test CA plays Keycloak, GitHub's API and the runner's OIDC endpoint.
  server = createServer({ cert: ca.serverCert, key: ca.serverKey }, (req, res) => {
    paths.push(req.url ?? '');
    req.resume();
    req.on('end', () => {
      const send = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (req.url?.startsWith('/runner-token')) return send(200, { value: fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main' }, 'Oidc4Token') });
      if (req.url?.endsWith('/secrets/public-key')) return send(200, { key_id: '1', key: Buffer.alloc(32, 7).toString('base64') });
      if (req.method === 'PUT') return send(201, {});
      send(200, { access_token: fakeJwt({ azp: 'ceph-s3' }, 'Access9Token'), refresh_token: fakeJwt({ typ: 'Refresh' }, 'New5Refresh'), expires_in: 300, token_type: 'Bearer' });
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

const inputs = (extra: Record<string, string>) => ({ 'keycloak-url': url, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': storedRefresh, 'ca-certificate': ca.caCert, ...extra });

describe('ca-certificate', () => {
  it('is trusted for Keycloak, not for the GitHub API that update-secret writes to', async () => {
    paths.length = 0;
    const run = await runAction(inputs({ 'revoke-refresh-token': 'true', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'ghp_Secret8Writer3Token' }), { env: { GITHUB_API_URL: url } });
    expect(run.exitCode, visibleLog(run)).toBe(1);
    expect(run.outputs['refresh-token-rotated']).toBe('true');
    expect(run.outputs['failure-kind']).toBe('secret-update-failed');
    expect(visibleLog(run)).toMatch(/::error::.*the GitHub API at 127\.0\.0\.1:\d+ did not answer \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)/);
    expect(paths.filter((path) => path.includes('/secrets/'))).toEqual([]);
    expectNoLeaks(run, [storedRefresh, 'ghp_Secret8Writer3Token', run.outputs['access-token'] ?? '', run.outputs['refresh-token'] ?? '']);
  });

  it("is not trusted for the runner's OIDC endpoint either", async () => {
    paths.length = 0;
    const run = await runAction(inputs({ 'client-auth': 'github-oidc' }), {
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/runner-token?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' },
    });
    expect(run.exitCode, visibleLog(run)).toBe(1);
    expect(run.outputs['failure-kind']).toBe('github-oidc-unavailable');
    expect(paths).toEqual([]);
  });
});
