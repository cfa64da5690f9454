// exchange-audience: the token exchange request, and what is handed out, against a fake Keycloak.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAudienceInputs } from '../../src/keycloak/audience-inputs.js';
import { tokenExchangeGrant } from '../../src/keycloak/grants/token-exchange.js';
import type { FakeEndpoint } from '../support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from '../support/fake-token-endpoint.js';
import { expectNoLeaks, visibleLog } from '../support/leak-check.js';
import { runAction } from '../support/run-action.js';

describe('tokenExchangeGrant', () => {
  it('asks for the access token narrowed to each audience, and to fewer scopes when given', () => {
    const form = tokenExchangeGrant('eyJ.full.token', ['ceph-s3', 'api'], 'openid').form();
    expect([...form.entries()]).toEqual([
      ['grant_type', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      ['subject_token', 'eyJ.full.token'],
      ['subject_token_type', 'urn:ietf:params:oauth:token-type:access_token'],
      ['scope', 'openid'],
      ['audience', 'ceph-s3'],
      ['audience', 'api'],
    ]);
    expect(tokenExchangeGrant('t', ['a'], undefined)).toMatchObject({ resendable: true, presented: '', attempted: 'the token exchange for audience a' });
  });
});

describe('parseAudienceInputs', () => {
  const read = (values: Record<string, string>) => (name: string) => values[name] ?? '';
  it('reads client IDs separated by spaces or line breaks, once each', () => {
    expect(parseAudienceInputs(read({ 'exchange-audience': 'ceph-s3\napi  ceph-s3', 'exchange-scope': 'openid', 'exchange-only': 'true' }))).toEqual({ audiences: ['ceph-s3', 'api'], scope: 'openid', only: true });
    expect(parseAudienceInputs(read({}))).toBeUndefined();
  });
  it.each([
    [{ 'exchange-scope': 'openid' }, "Input 'exchange-scope' is only used with exchange-audience"],
    [{ 'exchange-only': 'true' }, "Input 'exchange-only' is only used with exchange-audience"],
    [{ 'exchange-audience': 'ceph-s3 <x>' }, "Input 'exchange-audience' must be client IDs"],
    [{ 'exchange-audience': 'ceph-s3', 'exchange-scope': 'a  b' }, "Input 'exchange-scope' must be scope names"],
  ])('refuses %j', (values, message) => {
    expect(() => parseAudienceInputs(read(values))).toThrow(message);
  });
});

describe('audience, run as the runner runs the action', () => {
  let endpoint: FakeEndpoint;
  const stored = fakeJwt({ typ: 'Refresh' }, 'Stored3Refresh');
  const full = fakeJwt({ azp: 'pipeline', aud: ['ceph-s3', 'api', 'account'] }, 'Full5Access');
  const narrow = fakeJwt({ azp: 'pipeline', aud: 'ceph-s3' }, 'Narrow7Access');
  const rotated = fakeJwt({ typ: 'Refresh' }, 'Rotated9Refresh');
  beforeAll(async () => {
    endpoint = await startFakeEndpoint();
  });
  afterAll(() => endpoint.close());
  const inputs = (extra: Record<string, string> = {}) => ({ 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'pipeline', 'client-secret': 'Pipeline8Secret', 'refresh-token': stored, 'exchange-audience': 'ceph-s3', ...extra });
  const answer = (exchange: (res: Parameters<Parameters<FakeEndpoint['respondWith']>[0]>[1]) => void) =>
    endpoint.respondWith((request, res) => {
      if (request.form.get('grant_type') === 'refresh_token') return json(res, 200, { access_token: full, refresh_token: rotated, expires_in: 300, token_type: 'Bearer' });
      exchange(res);
    });

  it('publishes the narrowed token as exchanged-token, masked, beside the full access-token', async () => {
    answer((res) => json(res, 200, { access_token: narrow, expires_in: 120, token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' }));
    const run = await runAction(inputs());
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs).toMatchObject({ 'access-token': full, 'exchanged-token': narrow, 'refresh-token': rotated });
    expect(run.outputs['exchanged-token-expires-at']).toMatch(/^\d{4}-\d\d-\d\dT/);
    const exchange = endpoint.requests.at(-1)?.form;
    expect(exchange?.get('subject_token')).toBe(full);
    expect(exchange?.get('client_secret')).toBe('Pipeline8Secret');
    expect(run.summary).toContain('aud ceph-s3');
    expectNoLeaks(run, [stored, full, narrow, rotated, 'Pipeline8Secret']);
  });

  it('exchange-only: the narrowed token replaces the full one in every output, the env and the token file', async () => {
    answer((res) => json(res, 200, { access_token: narrow, expires_in: 120, token_type: 'Bearer' }));
    let fromFile = '';
    const run = await runAction(inputs({ 'exchange-only': 'true', 'export-env': 'true', 'token-file': 'true' }), {
      betweenSteps: async (main) => void (fromFile = readFileSync(main.outputs['access-token-file'] ?? '', 'utf8')),
    });
    expect(run.exitCode, visibleLog(run)).toBe(0);
    expect(run.outputs['access-token']).toBe(narrow);
    expect(run.env.KEYCLOAK_ACCESS_TOKEN).toBe(narrow);
    expect(fromFile).toBe(narrow);
    expect(JSON.stringify(run.outputs)).not.toContain(full);
    expectNoLeaks(run, [stored, full, narrow, rotated], { allowedInEnv: [narrow, rotated] });
  });

  it('a refused exchange fails the step, but the rotated refresh token is published first', async () => {
    answer((res) => json(res, 400, { error: 'invalid_request', error_description: 'Some exchange refusal' }));
    const run = await runAction(inputs());
    expect(run.exitCode).toBe(1);
    expect(run.outputs['refresh-token']).toBe(rotated);
    expect(run.outputs['access-token']).toBeUndefined();
    expect(run.commands.find((command) => command.name === 'error')?.data).toMatch(/^Keycloak refused the token exchange for audience ceph-s3 \(400 invalid_request/);
  });
});
