// fresh.ts against scripted Keycloak and STS answers and a real session folder:
// the new refresh token is stored before the token exchange, a marker tells the
// next holder of a refresh that never stored its result, outages are served
// through with what is held while it is valid, and a slow but legitimate holder
// keeps the lock.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeycloakError } from '../../src/keycloak/keycloak-error.js';
import type { FreshDeps } from '../../src/token-command/fresh.js';
import { freshCredentials, freshSession, lockHoldLimitMs } from '../../src/token-command/fresh.js';
import { keepTokenFileFresh } from '../../src/token-command/refresher.js';
import type { Session } from '../../src/token-command/session.js';
import { createStateDir, readSession, writeSession } from '../../src/token-command/session.js';
import type { FormRequest, HttpAnswer, HttpRequest } from '../../src/transport.js';
import { TransportError } from '../../src/transport.js';
import { fakeJwt } from '../support/fake-token-endpoint.js';
import { jsonAnswer } from '../support/scripted-send.js';

const R0 = fakeJwt({ typ: 'Refresh', n: 0 }, 'Refresh0X');
const R1 = fakeJwt({ typ: 'Refresh', n: 1 }, 'Refresh1X');
const A0 = fakeJwt({ azp: 'ceph-s3', n: 0 }, 'Access0Y');
const A1 = fakeJwt({ azp: 'ceph-s3', n: 1 }, 'Access1Y');
const NARROW = fakeJwt({ azp: 'ceph-s3', aud: ['ceph-s3'] }, 'Narrow1Z');
const SECRETS = [R0, R1, A0, A1, NARROW];

const tokens = (accessToken = A1, refreshToken = R1) => jsonAnswer(200, { access_token: accessToken, refresh_token: refreshToken, expires_in: 300, token_type: 'Bearer' });
const reused = jsonAnswer(400, { error: 'invalid_grant', error_description: 'Maximum allowed refresh token reuse exceeded' });
const unavailable: HttpAnswer = { status: 503, contentType: 'text/html', body: '<html>down</html>' };
const refused = () => new TransportError('ECONNREFUSED', 'http://127.0.0.1:9/realms/test/protocol/openid-connect/token', 15_000);
const stsCredentials: HttpAnswer = {
  status: 200,
  contentType: 'application/xml',
  body: '<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>TEMPKEY1</AccessKeyId><SecretAccessKey>temp-secret-1</SecretAccessKey><SessionToken>temp-session-1</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>',
};

type Answer = HttpAnswer | TransportError;
const grantOf = (request: FormRequest) => new URLSearchParams(request.body).get('grant_type') ?? '';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** A token that is due for a refresh (a quarter of its 60 s life or less left) but valid for `leftMs`. */
function sessionIn(now: number, leftMs: number, extra: Partial<Session> = {}): { stateDir: string } {
  const stateDir = join(mkdtempSync(join(tmpdir(), 'fresh-test-')), 'state');
  createStateDir(stateDir);
  const session: Session = {
    version: 1,
    connection: { keycloakUrl: 'http://127.0.0.1:9', realm: 'test', timeoutMs: 15_000, retries: 0, retryAfterSend: false, rotation: 'on' },
    client: { clientId: 'ceph-s3', clientSecret: 'Client5Secret', clientAuth: 'post', oidcAudience: undefined },
    scope: undefined,
    audience: undefined,
    extraCas: [],
    refreshToken: R0,
    storedRefreshToken: R0,
    accessToken: A0,
    accessExpiresAt: now + leftMs,
    accessLifetimeMs: 60_000,
    role: undefined,
    credentials: undefined,
    tokenFile: undefined,
    refresherPid: undefined,
    ...extra,
  };
  writeSession(stateDir, session);
  return { stateDir };
}

/** Deps whose Keycloak and STS play `answer(request)`; a clock that moves only when told or when the lock sleeps. */
function fakes(keycloak: (request: FormRequest, call: number) => Answer | Promise<Answer>, sts: (request: HttpRequest) => Answer | Promise<Answer> = () => stsCredentials) {
  const clock = { t: Date.now() };
  const warnings: string[] = [];
  const sent: FormRequest[] = [];
  const answered = async (answer: Answer | Promise<Answer>) => {
    const settled = await answer;
    if (settled instanceof TransportError) throw settled;
    return settled;
  };
  const deps: FreshDeps = {
    keycloak: { send: async (request) => answered(keycloak(request, sent.push(request))), sleep: async () => undefined, random: () => 0.5 },
    sendRequest: async (request) => answered(sts(request)),
    fetchIdToken: undefined,
    lock: {
      now: () => clock.t,
      sleep: async (ms) => {
        clock.t += ms;
        await new Promise((done) => setImmediate(done));
      },
    },
    warn: (line) => warnings.push(line),
  };
  return { deps, clock, warnings, sent, refreshes: () => sent.filter((r) => grantOf(r) === 'refresh_token').map((r) => new URLSearchParams(r.body).get('refresh_token')) };
}

function expectNoSecrets(...texts: string[]): void {
  for (const text of texts) for (const secret of SECRETS) expect(text).not.toContain(secret);
}

async function failureOf(promise: Promise<unknown>): Promise<KeycloakError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(Error);
  return error as KeycloakError;
}

/** The pid of a process that has ended. */
function deadPid(): number {
  const pid = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
  return Number(pid);
}

describe('exchange-only: a refused token exchange', () => {
  it('leaves the new refresh token in the session, so that the next call presents it', async () => {
    const audience = { audiences: ['ceph-s3'], scope: undefined, only: true };
    const { deps, clock } = fakes((request) =>
      grantOf(request) === EXCHANGE ? jsonAnswer(400, { error: 'invalid_request', error_description: 'Requested audience not available: ceph-s3' }) : tokens(),
    );
    const { stateDir } = sessionIn(clock.t, 1_000, { audience });
    const error = await failureOf(freshSession(stateDir, deps));
    expect(error).toMatchObject({ kind: 'audience-not-available' });
    const session = readSession(stateDir);
    expect(session.refreshToken).toBe(R1);
    expect(session.accessToken).toBe(A0);
    expect(session.pendingRefresh).toBeUndefined();
    expectNoSecrets(error.message);
  });
});

describe('the pending-refresh marker', () => {
  it('is in the session before the refresh token is sent, and gone with the new one', async () => {
    let marked: unknown;
    const { deps, clock } = fakes(() => {
      marked = readSession(stateDir).pendingRefresh;
      return tokens();
    });
    const { stateDir } = sessionIn(clock.t, 1_000);
    const session = await freshSession(stateDir, deps);
    expect(marked).toEqual({ pid: process.pid, since: clock.t });
    expect(session.accessToken).toBe(A1);
    expect(readSession(stateDir)).toMatchObject({ refreshToken: R1, accessToken: A1 });
    expect(readSession(stateDir).pendingRefresh).toBeUndefined();
  });

  it('is cleared after a refusal, and says "unanswered" after a lost answer', async () => {
    const refusing = fakes(() => reused);
    const first = sessionIn(refusing.clock.t, -1_000);
    await failureOf(freshSession(first.stateDir, refusing.deps));
    expect(readSession(first.stateDir).pendingRefresh).toBeUndefined();

    const losing = fakes(() => new TransportError('ECONNRESET', 'http://127.0.0.1:9/token', 15_000));
    const second = sessionIn(losing.clock.t, -1_000);
    await failureOf(freshSession(second.stateDir, losing.deps));
    expect(readSession(second.stateDir).pendingRefresh).toEqual({ pid: process.pid, since: losing.clock.t, unanswered: true });
  });

  it('left by a killed holder: the next holder warns in one line, tries, and names the killed refresh when Keycloak refuses the token as used', async () => {
    const { deps, clock, warnings, refreshes } = fakes(() => reused);
    const pid = deadPid();
    const { stateDir } = sessionIn(clock.t, -1_000, { pendingRefresh: { pid, since: clock.t - 3_000 } });
    const error = await failureOf(freshSession(stateDir, deps));
    expect(warnings).toEqual([`the keycloak-token refresh of pid ${pid} (3 s ago) was killed before it stored its result, so the new refresh token Keycloak may have issued died with it; trying the stored refresh token.`]);
    expect(refreshes()).toEqual([R0]);
    expect(error).toMatchObject({ kind: 'refresh-token-reused', status: 400 });
    expect(error.message).toMatch(new RegExp(`^Most likely cause: the keycloak-token refresh of pid ${pid} \\(3 s ago\\) was killed before it stored its result.*Keycloak refused the refresh`));
    // The doubt stays for the next call, which fails the same way.
    expect(readSession(stateDir).pendingRefresh).toEqual({ pid, since: clock.t - 3_000 });
    expectNoSecrets(error.message, ...warnings);
  });

  it('left by a killed holder before its request: the next holder warns, refreshes and clears it', async () => {
    const { deps, clock, warnings } = fakes(() => tokens());
    const { stateDir } = sessionIn(clock.t, -1_000, { pendingRefresh: { pid: deadPid(), since: clock.t - 1_000 } });
    expect((await freshSession(stateDir, deps)).accessToken).toBe(A1);
    expect(warnings).toHaveLength(1);
    expect(readSession(stateDir).pendingRefresh).toBeUndefined();
  });
});

describe('an outage while the token held is valid', () => {
  it.each([
    ['answers 503', () => unavailable, /answered HTTP 503/],
    ['refuses connections', refused, /connection refused \(ECONNREFUSED\)/],
  ])('Keycloak %s: the token held is handed out with one warning; Keycloak is asked again after 5 s; once it expires the call fails', async (_, answer, reason) => {
    const { deps, clock, warnings, sent } = fakes(() => answer());
    const { stateDir } = sessionIn(clock.t, 10_000);
    expect((await freshSession(stateDir, deps)).accessToken).toBe(A0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(reason);
    expect(warnings[0]).toMatch(/Handing out the access token held, valid 10 s more\.$/);
    expect(sent).toHaveLength(1);
    // Within a few seconds, the next callers do not ask again.
    clock.t += 1_000;
    expect((await freshSession(stateDir, deps)).accessToken).toBe(A0);
    expect(sent).toHaveLength(1);
    expect(warnings[1]).toMatch(/\(1 s ago; tried again in a few seconds\) Handing out the access token held, valid 9 s more\.$/);
    clock.t += 5_000;
    expect((await freshSession(stateDir, deps)).accessToken).toBe(A0);
    expect(sent).toHaveLength(2);
    clock.t += 3_500;
    const error = await failureOf(freshSession(stateDir, deps));
    expect(sent).toHaveLength(3);
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/No valid access token is held to hand out meanwhile\.$/);
    expect(warnings).toHaveLength(3);
    expectNoSecrets(error.message, ...warnings);
  });

  it('a dead refresh token and any other refusal fail at once', async () => {
    for (const answer of [reused, jsonAnswer(401, { error: 'unauthorized_client', error_description: 'Invalid client or Invalid client credentials' })]) {
      const { deps, clock, warnings } = fakes(() => answer);
      const { stateDir } = sessionIn(clock.t, 10_000);
      await failureOf(freshSession(stateDir, deps));
      expect(warnings).toEqual([]);
    }
  });

  it("RGW's STS unreachable: the S3 credentials held are handed out while valid", async () => {
    const { deps, clock, warnings } = fakes(
      () => tokens(),
      () => new TransportError('ECONNREFUSED', 'http://127.0.0.1:7480', 15_000),
    );
    const role = { roleArn: 'arn:aws:iam:::role/S3Access', stsEndpoint: 'http://127.0.0.1:7480', roleSessionName: 'ci-1', durationSeconds: 60, s3Endpoint: 'http://127.0.0.1:7480' };
    const held = { accessKeyId: 'HELDKEY', secretAccessKey: 'held-secret', sessionToken: 'held-session', expiresAt: clock.t + 10_000 };
    const { stateDir } = sessionIn(clock.t, 200_000, { accessLifetimeMs: 300_000, role, credentials: held });
    expect(await freshCredentials(stateDir, deps)).toEqual(held);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/could not reach RGW's STS at 127\.0\.0\.1:7480 \(ECONNREFUSED\).*Handing out the S3 credentials held, valid 10 s more\.$/);
    expect(warnings[0]).not.toContain('held-secret');
  });

  it('the refresher leaves the token file as it is and tries again every 5 s, until Keycloak refuses the token as dead', async () => {
    let calls = 0;
    const { deps, clock } = fakes(() => (++calls < 5 ? unavailable : reused));
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'fresh-test-')), 'token');
    writeFileSync(tokenFile, A0);
    const { stateDir } = sessionIn(clock.t, 13_000, { tokenFile });
    const waits: number[] = [];
    const contents: string[] = [];
    await keepTokenFileFresh(stateDir, deps, async (ms) => {
      waits.push(ms);
      contents.push(readFileSync(tokenFile, 'utf8'));
      clock.t += ms;
    });
    // Served from what is held at 0, 5 and 10 s; expired at 15 s; the dead token ends it at 20 s.
    expect(waits).toEqual([5_000, 5_000, 5_000, 5_000]);
    expect(new Set(contents)).toEqual(new Set([A0]));
    expect(calls).toBe(5);
  });
});

describe('a slow but legitimate lock holder', () => {
  it('keeps the lock past the old 2 x timeout + 5 s: a parallel caller waits for its token and sends nothing', async () => {
    // client-auth: github-oidc: each grant first fetches a runner OIDC token (up to 10 s), then
    // sends (up to timeout-seconds, 15 s): the new tokens are stored after 2 x 23 s, the
    // credentials after 60 s; each step within its own limit.
    const audience = { audiences: ['ceph-s3'], scope: undefined, only: true };
    const role = { roleArn: 'arn:aws:iam:::role/S3Access', stsEndpoint: 'http://127.0.0.1:7480', roleSessionName: 'ci-1', durationSeconds: 3600, s3Endpoint: 'http://127.0.0.1:7480' };
    const client = { clientId: 'ceph-s3', clientSecret: undefined, clientAuth: 'github-oidc' as const, oidcAudience: 'http://127.0.0.1:9/realms/test' };
    const taking = async <T>(ms: number, answer: T): Promise<T> => {
      clock.t += ms;
      // The other caller polls the lock meanwhile.
      for (let round = 0; round < 20; round++) await new Promise((done) => setImmediate(done));
      return answer;
    };
    const { deps, clock, sent } = fakes(
      (request) => taking(14_000, grantOf(request) === EXCHANGE ? jsonAnswer(200, { access_token: NARROW, expires_in: 300, token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' }) : tokens()),
      () => taking(14_000, stsCredentials),
    );
    deps.fetchIdToken = () => taking(9_000, fakeJwt({ sub: 'repo:acme/pipeline:ref:refs/heads/main', aud: 'http://127.0.0.1:9/realms/test' }, 'oidc'));
    const { stateDir } = sessionIn(clock.t, 1_000, { audience, role, client });
    const start = clock.t;
    const holder = freshCredentials(stateDir, deps);
    const waiter = freshSession(stateDir, deps);
    const [credentials, session] = await Promise.all([holder, waiter]);
    expect(clock.t - start).toBeGreaterThan(46_000);
    expect(credentials.accessKeyId).toBe('TEMPKEY1');
    expect(session.accessToken).toBe(NARROW);
    expect(sent.map(grantOf)).toEqual(['refresh_token', EXCHANGE]);
  });

  it('the limit covers the refresh, the exchange, the STS call and runner OIDC fetches, each within timeout-seconds', () => {
    const base = { connection: { keycloakUrl: 'http://127.0.0.1:9', realm: 'test', timeoutMs: 15_000, retries: 2, retryAfterSend: false, rotation: 'on' as const } };
    const client = { clientId: 'ceph-s3', clientSecret: undefined, clientAuth: 'github-oidc' as const, oidcAudience: 'x' };
    const audience = { audiences: ['ceph-s3'], scope: undefined, only: true };
    const role = { roleArn: 'arn:aws:iam:::role/S3Access', stsEndpoint: 'http://127.0.0.1:7480', roleSessionName: 'ci-1', durationSeconds: 3600, s3Endpoint: 'http://127.0.0.1:7480' };
    expect(lockHoldLimitMs({ ...base, client, audience, role })).toBeGreaterThanOrEqual(15_000 + 10_000 + 15_000 + 10_000 + 15_000 + 5_000);
    expect(lockHoldLimitMs({ ...base, client: { ...client, clientAuth: 'post' }, audience: undefined, role: undefined })).toBeGreaterThan(15_000);
  });
});

describe('rotation off', () => {
  const off = { connection: { keycloakUrl: 'http://127.0.0.1:9', realm: 'test', timeoutMs: 15_000, retries: 0, retryAfterSend: false, rotation: 'off' as const } };

  it('says nothing of a refresh whose answer was lost: the refresh token outlived it', async () => {
    const { deps, clock, warnings } = fakes(() => tokens());
    const { stateDir } = sessionIn(clock.t, 1_000, { ...off, pendingRefresh: { pid: deadPid(), since: clock.t - 30_000, unanswered: true } });
    const session = await freshSession(stateDir, deps);
    expect(session.accessToken).toBe(A1);
    expect(warnings).toEqual([]);
  });

  it('gives a frozen Keycloak only as long as the held token lives, then hands the token out', async () => {
    const budgets: number[] = [];
    const { deps, clock, warnings } = fakes(() => new TransportError('TIMEOUT', 'http://127.0.0.1:9/realms/test/protocol/openid-connect/token', 0));
    const send = deps.keycloak.send;
    deps.keycloak.send = async (request, timeoutMs) => {
      budgets.push(timeoutMs);
      clock.t += timeoutMs;
      return send(request, timeoutMs);
    };
    const { stateDir } = sessionIn(clock.t, 6_000, off);
    const session = await freshSession(stateDir, deps);
    // 6 s held, to be handed out with at least 2 s left and 1 s to do it: the refresh got 3 s, not timeout-seconds' 15.
    expect(budgets).toEqual([3_000]);
    expect(session.accessToken).toBe(A0);
    expect(warnings).toEqual([expect.stringMatching(/did not answer within 3 s .*Handing out the access token held, valid 3 s more\.$/)]);
  });

  it('with rotation on, the refresh gets the whole timeout-seconds: an answer cut short would burn the token', async () => {
    const budgets: number[] = [];
    const { deps, clock } = fakes(() => new TransportError('TIMEOUT', 'http://127.0.0.1:9/realms/test/protocol/openid-connect/token', 0));
    const send = deps.keycloak.send;
    deps.keycloak.send = async (request, timeoutMs) => {
      budgets.push(timeoutMs);
      clock.t += timeoutMs;
      return send(request, timeoutMs);
    };
    const { stateDir } = sessionIn(clock.t, 6_000);
    await failureOf(freshSession(stateDir, deps));
    expect(budgets).toEqual([15_000]);
  });
});
