// update-secret's store from the post step: tried again while GitHub does not
// answer or fails, a few times within a small budget, then one truthful line.
import nacl from 'tweetnacl';
import { describe, expect, it, vi } from 'vitest';
import type { SecretTarget } from '../src/github/github-secret.js';
import { SecretUpdateError } from '../src/github/github-secret.js';
import { storeRefreshTokenRetrying } from '../src/secret-store.js';
import type { HttpRequest } from '../src/transport.js';
import { TransportError } from '../src/transport.js';
import { jsonAnswer, scriptedSend } from './support/scripted-send.js';

const target: SecretTarget = { apiUrl: 'http://127.0.0.1:9', repository: 'acme/pipeline', environment: undefined, name: 'KEYCLOAK_REFRESH_TOKEN', token: 'ghp_Writer7Token' };
const publicKey = jsonAnswer(200, { key_id: '1', key: Buffer.from(nacl.box.keyPair().publicKey).toString('base64') });
const down = () => new TransportError('ECONNREFUSED', 'http://127.0.0.1:9', 15_000);
/** A clock that the plan's sleep moves forward, and each request by `requestMs`. */
function plan(send: ReturnType<typeof scriptedSend<HttpRequest>>, budgetMs = 30_000, requestMs = 0) {
  let clock = 0;
  const timed = scriptedSendAfter(send, () => (clock += requestMs));
  return { delaysMs: [1_000, 3_000], budgetMs, now: () => clock, sleep: vi.fn(async (ms: number) => void (clock += ms)), send: timed, consequence: 'The consequence.' };
}

function scriptedSendAfter(send: ReturnType<typeof scriptedSend<HttpRequest>>, elapse: () => void) {
  return async (request: HttpRequest, timeoutMs: number) => {
    elapse();
    return send(request, timeoutMs);
  };
}

describe('storeRefreshTokenRetrying', () => {
  it('tries again when GitHub is unreachable or fails, and stores', async () => {
    const send = scriptedSend<HttpRequest>([down(), publicKey, jsonAnswer(502, {}), publicKey, jsonAnswer(201, {})]);
    const retry = plan(send);
    await storeRefreshTokenRetrying(target, 'Refresh2Token', retry);
    expect(send.mock.calls.map(([request]) => request.method)).toEqual(['GET', 'GET', 'PUT', 'GET', 'PUT']);
    expect(retry.sleep.mock.calls).toEqual([[1_000], [3_000]]);
  });

  it('gives up after three attempts with one line that says how often and what it means', async () => {
    const send = scriptedSend<HttpRequest>([down(), down(), down()]);
    const error = await storeRefreshTokenRetrying(target, 'Refresh2Token', plan(send)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUpdateError);
    expect((error as Error).message).toBe(
      'Could not store the new refresh token in secret KEYCLOAK_REFRESH_TOKEN (acme/pipeline): the GitHub API at 127.0.0.1:9 did not answer (ECONNREFUSED) (3 attempts). The consequence.',
    );
    expect((error as Error).message).not.toContain('Refresh2Token');
  });

  it('does not try again when GitHub refuses the token', async () => {
    const send = scriptedSend<HttpRequest>([jsonAnswer(403, {})]);
    const error = await storeRefreshTokenRetrying(target, 'Refresh2Token', plan(send)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/may not write secrets \(403\).* The consequence\.$/);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('stays within its budget: no attempt is started that the budget cannot hold, and each request gets only what is left', async () => {
    // GitHub never answers: each request takes its whole deadline.
    const send = scriptedSend<HttpRequest>([down(), down(), down()]);
    let clock = 0;
    const deadlines: number[] = [];
    const error = await storeRefreshTokenRetrying(target, 'Refresh2Token', {
      delaysMs: [1_000, 3_000],
      budgetMs: 30_000,
      now: () => clock,
      sleep: async (ms: number) => void (clock += ms),
      send: async (request, timeoutMs) => {
        deadlines.push(timeoutMs);
        clock += timeoutMs;
        return send(request, timeoutMs);
      },
      consequence: 'The consequence.',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUpdateError);
    // 15 s, a 1 s wait, then the 14 s that are left; no third attempt.
    expect(deadlines).toEqual([15_000, 14_000]);
    expect(clock).toBeLessThanOrEqual(30_000);
  });
});
