import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SecretTarget } from '../../src/github/github-secret.js';
import { SecretUpdateError, updateSecret } from '../../src/github/github-secret.js';
import { sealForGitHub } from '../../src/github/sealed-box.js';
import { sendRequest } from '../../src/transport.js';
import type { FakeGitHubApi } from '../support/fake-github-api.js';
import { startFakeGitHubApi } from '../support/fake-github-api.js';

let api: FakeGitHubApi;
beforeAll(async () => {
  api = await startFakeGitHubApi();
});
afterAll(() => api.close());
beforeEach(() => {
  api.failWith(undefined);
  api.requests.length = 0;
});

const target = (overrides: Partial<SecretTarget> = {}): SecretTarget => ({
  apiUrl: api.url,
  repository: 'acme/pipelines',
  environment: undefined,
  name: 'KEYCLOAK_REFRESH_TOKEN',
  token: 'ghp_test_token',
  ...overrides,
});

describe('updateSecret', () => {
  it('seals the value to the repository key and stores it (round trip)', async () => {
    await updateSecret(target(), 'new.refresh.token', sendRequest, sealForGitHub);
    expect(api.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/pipelines/actions/secrets/public-key',
      'PUT /repos/acme/pipelines/actions/secrets/KEYCLOAK_REFRESH_TOKEN',
    ]);
    expect(api.requests.every((r) => r.authorization === 'Bearer ghp_test_token')).toBe(true);
    expect(api.stored.get('/repos/acme/pipelines/actions/secrets/KEYCLOAK_REFRESH_TOKEN')).toBe('new.refresh.token');
  });

  it('stores an environment secret under the environment', async () => {
    await updateSecret(target({ environment: 'prod eu' }), 'env.token', sendRequest, sealForGitHub);
    expect(api.stored.get('/repos/acme/pipelines/environments/prod%20eu/secrets/KEYCLOAK_REFRESH_TOKEN')).toBe('env.token');
  });

  it('never seals the same way twice (sealed boxes use a new ephemeral key)', async () => {
    const key = 'J8AhIl2Pn0yVb1wVXUbBkv8nYaRE8mJ3+ZsBngqLv1s=';
    expect(await sealForGitHub('same', key)).not.toBe(await sealForGitHub('same', key));
  });

  it.each([
    [401, 'update-secret-token (401): it is invalid or expired'],
    [403, "GITHUB_TOKEN never can: use a fine-grained token or GitHub App token with 'Secrets: read and write'"],
    [404, 'the repository or environment does not exist, or update-secret-token cannot see it'],
    [500, 'GitHub answered HTTP 500 to GET'],
  ])('fails on %i and says the new token exists only in the masked output', async (status, problem) => {
    api.failWith(status);
    const error = await updateSecret(target(), 'v', sendRequest, sealForGitHub).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUpdateError);
    expect((error as Error).message).toContain(problem);
    expect((error as Error).message).toMatch(/^Could not store the new refresh token in secret KEYCLOAK_REFRESH_TOKEN \(acme\/pipelines\): .* the new token exists only in this run's masked refresh-token output/);
    expect((error as Error).message).not.toContain('ghp_test_token');
  });

  it('fails when the API cannot be reached', async () => {
    const error = await updateSecret(target({ apiUrl: 'http://127.0.0.1:1' }), 'v', sendRequest, sealForGitHub).catch((e: unknown) => e);
    expect((error as Error).message).toContain('did not answer (ECONNREFUSED)');
  });
});
