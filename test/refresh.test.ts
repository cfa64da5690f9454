import { describe, expect, it, vi } from 'vitest';
import type { ActionInputs } from '../src/inputs.js';
import { refreshTokens } from '../src/refresh.js';
import { RefreshError } from '../src/refresh-error.js';
import type { SendForm } from '../src/transport.js';
import { TransportError } from '../src/transport.js';
import { fakeJwt } from './support/fake-token-endpoint.js';

const inputs: ActionInputs = {
  keycloakUrl: 'https://sso.example.com',
  realm: 'test',
  clientId: 'ceph-s3',
  clientSecret: undefined,
  clientAuth: 'post',
  refreshToken: fakeJwt({ typ: 'Refresh', iss: 'https://sso.example.com/realms/test' }),
  scope: undefined,
  timeoutMs: 15_000,
  exportEnv: false,
  tokenFile: false,
};
const now = () => new Date('2026-11-26T10:00:00Z');

describe('refreshTokens', () => {
  it('makes exactly one request and parses the answer', async () => {
    const send = vi.fn<SendForm>().mockResolvedValue({
      status: 200,
      contentType: 'application/json',
      body: JSON.stringify({ access_token: 'a', expires_in: 60 }),
    });
    const result = await refreshTokens(inputs, send, now);
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0].url).toBe('https://sso.example.com/realms/test/protocol/openid-connect/token');
    expect(send.mock.calls[0]?.[1]).toBe(15_000);
    expect(result.accessToken).toBe('a');
    expect(result.expiresAt).toEqual(new Date('2026-11-26T10:01:00Z'));
  });

  it('classifies an error answer and does not try again', async () => {
    const send = vi.fn<SendForm>().mockResolvedValue({
      status: 400,
      contentType: 'application/json',
      body: JSON.stringify({ error: 'invalid_grant', error_description: 'Token is not active' }),
    });
    await expect(refreshTokens(inputs, send, now)).rejects.toMatchObject({ kind: 'refresh-token-expired' });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('classifies a transport failure and does not try again', async () => {
    const send = vi.fn<SendForm>().mockRejectedValue(new TransportError('ECONNRESET', 'https://sso.example.com/x', 15_000));
    const error = await refreshTokens(inputs, send, now).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RefreshError);
    expect(error).toMatchObject({ kind: 'network' });
    expect(send).toHaveBeenCalledTimes(1);
  });
});
