// exchange-audience: Keycloak's standard token exchange narrows the access token, on
// 26.7.3 and 26.4.7, and RGW takes the narrowed token for role-to-assume.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { visibleLog } from '../support/leak-check.js';
import type { RunningCeph } from './support/ceph-container.js';
import { bucketPolicy, createBucket, createOidcProvider, createRole, putRolePolicy, webIdentityTrustPolicy } from './support/ceph-container.js';
import type { FaultProxy } from './support/fault-proxy.js';
import { startFaultProxy } from './support/fault-proxy.js';
import type { Login } from './support/keycloak-api.js';
import { KeycloakApi, TEST_PASSWORD_POLICY } from './support/keycloak-api.js';
import type { RunningKeycloak } from './support/keycloak-container.js';
import { COMPAT_VERSION, DEFAULT_VERSION, startKeycloak } from './support/keycloak-container.js';
import { expectFailure, runScenario } from './support/scenario.js';
import { sharedCeph, sharedKeycloakApi } from './support/shared-servers.js';

const REALM = 'audience';
const SECRET = 'Pipeline-secret-4u9Q';

const audienceMapper = (audience: string) => ({
  name: `audience ${audience}`,
  protocol: 'openid-connect',
  protocolMapper: 'oidc-audience-mapper',
  config: { 'included.client.audience': audience, 'access.token.claim': 'true', 'introspection.token.claim': 'true' },
});

const confidential = (clientId: string, exchange: boolean) => ({
  clientId,
  enabled: true,
  publicClient: false,
  clientAuthenticatorType: 'client-secret',
  secret: SECRET,
  directAccessGrantsEnabled: true,
  standardFlowEnabled: false,
  // Keycloak's "Standard token exchange" switch in the client's Capability config.
  attributes: { 'standard.token.exchange.enabled': String(exchange) },
  protocolMappers: [audienceMapper('ceph-s3'), audienceMapper('api')],
});

/** As docs/least-privilege.md's set-up: the client that exchanges, and the clients it may narrow to. */
const realm = {
  realm: REALM,
  enabled: true,
  passwordPolicy: TEST_PASSWORD_POLICY,
  // RGW verifies with the JWKS's first key: the signing key first.
  components: {
    'org.keycloak.keys.KeyProvider': [
      { name: 'rsa-generated', providerId: 'rsa-generated', config: { priority: ['200'] } },
      { name: 'rsa-enc-generated', providerId: 'rsa-enc-generated', config: { priority: ['100'], algorithm: ['RSA-OAEP'] } },
      { name: 'hmac-generated-hs512', providerId: 'hmac-generated', config: { priority: ['100'], algorithm: ['HS512'] } },
    ],
  },
  clients: [
    confidential('pipeline', true),
    confidential('pipeline-no-exchange', false),
    { clientId: 'ceph-s3', enabled: true, publicClient: true, directAccessGrantsEnabled: true, standardFlowEnabled: false },
    { clientId: 'api', enabled: true, publicClient: true, standardFlowEnabled: false },
    { clientId: 'unrelated', enabled: true, publicClient: true, standardFlowEnabled: false },
  ],
  users: [
    {
      username: 'alice',
      enabled: true,
      email: 'alice@example.test',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Test',
      credentials: [{ type: 'password', value: 'alice-password-1', temporary: false }],
    },
  ],
};

const pipeline = (clientId = 'pipeline'): Login => ({ realm: REALM, clientId, clientSecret: SECRET, username: 'alice', password: 'alice-password-1', scope: 'openid phone' });
const claims = (token: string | undefined) => JSON.parse(Buffer.from((token ?? '').split('.')[1] ?? '', 'base64url').toString('utf8')) as { aud?: string | string[]; scope?: string; azp?: string };

/** The server through a recording proxy: every token exchange that reaches Keycloak is seen, with its answer. */
interface Proxied {
  api: KeycloakApi;
  proxy: FaultProxy;
}

async function proxied(upstream: KeycloakApi): Promise<Proxied> {
  const proxy = await startFaultProxy(upstream.baseUrl);
  return { api: new KeycloakApi(proxy.url), proxy };
}

function exchangeTests(server: () => Proxied) {
  it('narrows the access token to exactly the audience asked for, with no more scope, and userinfo takes it', async () => {
    const { api, proxy } = server();
    const tokens = await api.login(pipeline());
    expect(claims(tokens.access_token).scope?.split(' ')).toContain('phone');
    const before = proxy.exchanges.length;
    const run = await runScenario(api, pipeline(), tokens, { 'exchange-audience': 'ceph-s3', 'exchange-scope': 'openid' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    // One exchange reached Keycloak: the full token of this run in, the exchanged-token output out.
    const exchanges = proxy.exchanges.slice(before);
    expect(exchanges.map(({ audiences, status }) => ({ audiences, status }))).toEqual([{ audiences: ['ceph-s3'], status: 200 }]);
    expect(exchanges[0]?.subjectToken).toBe(run.outputs['access-token']);
    expect(exchanges[0]?.accessToken).toBe(run.outputs['exchanged-token']);
    expect(run.outputs['exchanged-token']).not.toBe(run.outputs['access-token']);
    const narrowed = claims(run.outputs['exchanged-token']);
    expect(narrowed.aud).toBe('ceph-s3');
    expect(narrowed.azp).toBe('pipeline');
    expect(narrowed.scope?.split(' ')).not.toContain('phone');
    expect([claims(run.outputs['access-token']).aud].flat().sort()).toEqual(['api', 'ceph-s3']);
    expect((await api.userinfoStatus(REALM, run.outputs['exchanged-token'] ?? '')).status).toBe(200);
  });

  it('narrows to two audiences in one call', async () => {
    const { api, proxy } = server();
    const before = proxy.exchanges.length;
    const run = await runScenario(api, pipeline(), await api.login(pipeline()), { 'exchange-audience': 'ceph-s3\napi', 'exchange-only': 'true' });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    // The full token already has both audiences, so its aud proves nothing: the exchange must have
    // happened, with both audiences in one request, and its answer is what the action hands out.
    const exchanges = proxy.exchanges.slice(before);
    expect(exchanges.map(({ audiences, status }) => ({ audiences, status }))).toEqual([{ audiences: ['ceph-s3', 'api'], status: 200 }]);
    expect(exchanges[0]?.accessToken).toMatch(/^eyJ/);
    expect(run.outputs['access-token']).toBe(exchanges[0]?.accessToken);
    expect(run.outputs['access-token']).not.toBe(exchanges[0]?.subjectToken);
    expect([claims(run.outputs['access-token']).aud].flat().sort()).toEqual(['api', 'ceph-s3']);
    expect(run.outputs['access-token']).toBe(run.outputs['exchanged-token']);
  });

  it.each([
    ['the exchange switch off', 'pipeline-no-exchange', { 'exchange-audience': 'ceph-s3' }, 'exchange-not-enabled', /"Standard token exchange is not enabled for the requested client"\): client 'pipeline-no-exchange' may not exchange tokens: turn on 'Standard token exchange'/],
    ['an audience the client may not ask for', 'pipeline', { 'exchange-audience': 'unrelated' }, 'audience-not-available', /"Requested audience not available: unrelated"\): client 'pipeline' may not ask for audience 'unrelated': add an Audience mapper/],
    ['an audience that is no client', 'pipeline', { 'exchange-audience': 'no-such-client' }, 'audience-not-found', /400 invalid_client: "Audience not found"\): exchange-audience names a client that realm 'audience' does not have/],
    ['a scope the client does not have', 'pipeline', { 'exchange-audience': 'ceph-s3', 'exchange-scope': 'admin' }, 'scope-rejected', /400 invalid_scope: "Invalid scopes: admin"\): .*check exchange-scope/],
  ] as const)('refuses %s, and the refresh token is still published', async (_, clientId, inputs, kind, message) => {
    const { api } = server();
    const run = await runScenario(api, pipeline(clientId), await api.login(pipeline(clientId)), inputs);
    expectFailure(run, kind, message, { 'refresh-token': expect.stringMatching(/^eyJ/) as unknown as string });
  });
}

describe(`audience on Keycloak ${DEFAULT_VERSION}`, () => {
  const api = sharedKeycloakApi();
  let ceph: RunningCeph;
  let server: Proxied;
  beforeAll(async () => {
    await api.createRealm(realm);
    server = await proxied(api);
    ceph = await sharedCeph();
    const issuer = `${api.baseUrl}/realms/${REALM}`;
    await Promise.all([createOidcProvider(ceph, issuer, ['ceph-s3']), createRole(ceph, 'audience-writer', webIdentityTrustPolicy(issuer, { audience: 'ceph-s3' })), createBucket(ceph, 'audience-bucket')]);
    await putRolePolicy(ceph, 'audience-writer', 'rw', bucketPolicy('audience-bucket'));
  }, 120_000);
  afterAll(async () => {
    await api.deleteRealm(REALM);
    await server?.proxy.close();
  });

  exchangeTests(() => server);

  it('refuses public clients before any request', async () => {
    const login = { ...pipeline('ceph-s3'), clientSecret: undefined, scope: 'openid' };
    const run = await runScenario(api, login, await api.login(login), { 'exchange-audience': 'api' });
    expectFailure(run, 'input', /Input 'exchange-audience' needs a confidential client/);
  });

  it('role-to-assume: RGW takes the token narrowed to ceph-s3, and refuses one narrowed to another audience', async () => {
    const role = { 'role-to-assume': 'arn:aws:iam:::role/audience-writer', 'sts-endpoint': ceph.s3Url, 'exchange-only': 'true' };
    const taken = await runScenario(api, pipeline(), await api.login(pipeline()), { ...role, 'exchange-audience': 'ceph-s3' });
    expect(taken.exitCode, visibleLog(taken)).toBe(0);
    expect(taken.outputs['aws-access-key-id']).toMatch(/\S{8,}/);
    const refused = await runScenario(api, pipeline(), await api.login(pipeline()), { ...role, 'exchange-audience': 'api' });
    expectFailure(refused, 'sts-refused', /refused AssumeRoleWithWebIdentity for role arn:aws:iam:::role\/audience-writer \(403 AccessDenied\)/, { 'exchanged-token': expect.stringMatching(/^eyJ/) as unknown as string });
  }, 60_000);
});

describe(`audience on Keycloak ${COMPAT_VERSION}`, () => {
  let keycloak: RunningKeycloak;
  let server: Proxied;
  beforeAll(async () => {
    keycloak = await startKeycloak({ version: COMPAT_VERSION });
    await keycloak.api.createRealm(realm);
    server = await proxied(keycloak.api);
  }, 180_000);
  afterAll(async () => {
    await server?.proxy.close();
    await keycloak?.stop();
  });

  exchangeTests(() => server);
});
