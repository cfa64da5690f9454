// Keycloak over HTTPS with a certificate from a CA made for this run, reached
// directly and through a CONNECT proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import type { TestCa } from '../support/test-ca.js';
import { makeTestCa } from '../support/test-ca.js';
import type { ConnectProxy } from './support/connect-proxy.js';
import { startConnectProxy } from './support/connect-proxy.js';
import type { RunningKeycloak } from './support/keycloak-container.js';
import { startKeycloak } from './support/keycloak-container.js';
import { expectFailure, runScenario, user } from './support/scenario.js';

const PUBLIC_NAME = 'keycloak.test';
let ca: TestCa;
let keycloak: RunningKeycloak;
let proxy: ConnectProxy;
let httpsUrl: string;

beforeAll(async () => {
  ca = makeTestCa([PUBLIC_NAME, 'localhost', '127.0.0.1']);
  // A fixed frontend URL: tokens name https://keycloak.test:8443 as issuer whichever port or
  // name a request used, so logins on plain HTTP and refreshes through the proxy agree.
  keycloak = await startKeycloak({ tls: { cert: ca.serverCert, key: ca.serverKey }, hostname: `https://${PUBLIC_NAME}:8443` });
  httpsUrl = keycloak.httpsUrl ?? '';
  proxy = await startConnectProxy({
    [`${PUBLIC_NAME}:8443`]: httpsUrl,
    [`${PUBLIC_NAME}:8080`]: keycloak.baseUrl,
  });
});
afterAll(async () => {
  await proxy?.close();
  await keycloak?.stop();
});
beforeEach(() => {
  proxy.connects.length = 0;
});

const login = user('alice');

describe('HTTPS with a private CA', () => {
  it('refuses the server without ca-certificate, saying how to trust it', async () => {
    const tokens = await keycloak.api.login(login);
    const run = await runScenario(keycloak.api, login, tokens, { 'keycloak-url': httpsUrl });
    expectFailure(run, 'network', /the TLS certificate of localhost:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\. For an internal or self-signed CA, give its PEM as ca-certificate/);
  });

  it.each([
    ['PEM text', () => ca.caCert],
    ['a file path', () => ca.caCertFile],
  ])('refreshes with ca-certificate as %s', async (_, caCertificate) => {
    const tokens = await keycloak.api.login(login);
    const run = await runScenario(keycloak.api, login, tokens, { 'keycloak-url': httpsUrl, 'ca-certificate': caCertificate() });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect((await keycloak.api.userinfoStatus('test', run.outputs['access-token'] ?? '')).status).toBe(200);
  });
});

describe('through a proxy', () => {
  it('HTTPS_PROXY: tunnels with CONNECT, TLS end to end', async () => {
    const tokens = await keycloak.api.login(login);
    const run = await runScenario(
      keycloak.api,
      login,
      tokens,
      { 'keycloak-url': `https://${PUBLIC_NAME}:8443`, 'ca-certificate': ca.caCert },
      { env: { HTTPS_PROXY: proxy.url } },
    );
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(proxy.connects).toEqual([`${PUBLIC_NAME}:8443`]);
  });

  it('HTTP_PROXY: plain http goes through the proxy too, only with allow-insecure-http and its warning', async () => {
    const tokens = await keycloak.api.login(login);
    const refused = await runScenario(keycloak.api, login, tokens, { 'keycloak-url': `http://${PUBLIC_NAME}:8080` }, { env: { http_proxy: proxy.url } });
    expectFailure(refused, 'input', new RegExp(`Input 'keycloak-url' uses plain http:// to ${PUBLIC_NAME.replace('.', '\\.')}: tokens and secrets would travel unencrypted`));
    expect(proxy.connects).toEqual([]);
    const run = await runScenario(keycloak.api, login, tokens, { 'keycloak-url': `http://${PUBLIC_NAME}:8080`, 'allow-insecure-http': 'true' }, { env: { http_proxy: proxy.url } });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(visibleLog(run)).toContain(`::warning::keycloak-url uses plain http:// to ${PUBLIC_NAME}`);
    expect(proxy.connects).toEqual([`${PUBLIC_NAME}:8080`]);
  });

  it('NO_PROXY: a listed host bypasses the proxy', async () => {
    const tokens = await keycloak.api.login(login);
    const run = await runScenario(
      keycloak.api,
      login,
      tokens,
      { 'keycloak-url': `https://${PUBLIC_NAME}:8443`, 'ca-certificate': ca.caCert, retries: '0' },
      { env: { HTTPS_PROXY: proxy.url, NO_PROXY: `other.example,${PUBLIC_NAME}` } },
    );
    // Without the proxy the name does not resolve on this machine.
    expectFailure(run, 'network', new RegExp(`${PUBLIC_NAME.replace('.', '\\.')}:8443 \\((ENOTFOUND|EAI_AGAIN)\\)`));
    expect(proxy.connects).toEqual([]);
  });
});
