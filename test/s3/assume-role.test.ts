import { describe, expect, it } from 'vitest';
import { assumeRole } from '../../src/s3/assume-role.js';
import type { HttpAnswer, HttpRequest, SendRequest } from '../../src/transport.js';
import { TransportError } from '../../src/transport.js';
import { fakeJwt } from '../support/fake-token-endpoint.js';
import { jsonAnswer, scriptedSend } from '../support/scripted-send.js';

const now = Date.parse('2026-11-27T12:00:00Z');
const role = { stsEndpoint: 'http://127.0.0.1:7480', roleArn: 'arn:aws:iam:::role/S3Access', roleSessionName: 'ci-1', durationSeconds: 3600 };
const issuer = 'http://127.0.0.1:8080/realms/s3';
const token = (claims: Record<string, unknown> = {}, kid = 'sig-key') =>
  fakeJwt({ iss: issuer, aud: 'ceph-s3', azp: 'ceph-s3', sub: 'alice', exp: now / 1000 + 300, ...claims }, '', { alg: 'RS256', typ: 'JWT', kid });
const xml = (status: number, body: string): HttpAnswer => ({ status, contentType: 'application/xml', body });
const denied = xml(403, '<Error><Code>AccessDenied</Code><Message></Message><RequestId>tx1</RequestId></Error>');
const jwks = (...keys: object[]): HttpAnswer => jsonAnswer(200, { keys });
const credentials = xml(200, '<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>K</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken>T</SessionToken><Expiration>2026-11-27T13:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>');

const sending = (...answers: (HttpAnswer | TransportError)[]) => scriptedSend<HttpRequest>(answers);
const context = { clientId: 'ceph-s3', keycloakUrl: 'http://127.0.0.1:8080', timeoutMs: 5000 };
const run = (send: SendRequest, accessToken = token()) => assumeRole(role, accessToken, context, { send, now: () => now });

describe('assumeRole', () => {
  it('returns the credentials after one unsigned POST', async () => {
    const send = sending(credentials);
    expect(await run(send)).toMatchObject({ accessKeyId: 'K', secretAccessKey: 'S', sessionToken: 'T' });
    expect(send).toHaveBeenCalledTimes(1);
    expect(send.mock.calls[0]?.[0]).toMatchObject({ method: 'POST', url: 'http://127.0.0.1:7480' });
    expect(send.mock.calls[0]?.[0].headers.Authorization).toBeUndefined();
  });

  it('names the key trap when the JWKS lists another key first', async () => {
    const send = sending(denied, jwks({ kid: 'enc-key', alg: 'RSA-OAEP', use: 'enc' }, { kid: 'sig-key', alg: 'RS256', use: 'sig' }));
    const error = await run(send).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'sts-refused' });
    expect((error as Error).message).toMatch(/^RGW's STS at 127\.0\.0\.1:7480 refused AssumeRoleWithWebIdentity for role arn:aws:iam:::role\/S3Access \(403 AccessDenied\)\. RGW verifies with the first key of the issuer's JWKS, which is RSA-OAEP \(use enc\), not the key that signed this token: raise the priority of rsa-generated/);
    expect(send.mock.calls[1]?.[0]).toMatchObject({ method: 'GET', url: `${issuer}/protocol/openid-connect/certs` });
  });

  it('says to add an audience mapper when the token has no aud', async () => {
    // RGW's answer to a token without aud (18.2.7).
    const empty = xml(400, '<Error><Code>InvalidArgument</Code><Message>ERROR: one of role arn or role session name or token is empty</Message></Error>');
    await expect(run(sending(empty, jwks({ kid: 'sig-key' })), token({ aud: undefined }))).rejects.toThrow(
      /\(400 InvalidArgument: "ERROR: one of role arn or role session name or token is empty"\)\. The access token has no aud claim: add an Audience mapper \(oidc-audience-mapper\) to client 'ceph-s3'/,
    );
  });

  it('reports an expired token', async () => {
    await expect(run(sending(denied, jwks({ kid: 'sig-key' })), token({ exp: now / 1000 - 5 }))).rejects.toThrow(/\(403 AccessDenied\)\. The access token has expired\.$/);
  });

  it('lists what to check on RGW when the token looks right', async () => {
    await expect(run(sending(denied, jwks({ kid: 'sig-key' })))).rejects.toThrow(/Check on RGW: an OIDC provider for exactly 'http:\/\/127\.0\.0\.1:8080\/realms\/s3' .*aud \(ceph-s3\) or azp \(ceph-s3\)/);
  });

  it('explains a too short session name without a diagnosis round trip', async () => {
    const send = sending(xml(400, '<Error><Code>InvalidArgument</Code><Message>ERROR: Either role session name is empty or role session size is incorrect: 1</Message></Error>'));
    await expect(run(send)).rejects.toThrow(/role-session-name must be 2 to 64 characters/);
    expect(send).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['RGW down', new TransportError('ECONNREFUSED', 'http://127.0.0.1:7480', 5000), 'sts-unreachable', /could not reach RGW's STS at 127\.0\.0\.1:7480 \(ECONNREFUSED\)/],
    ['no answer', new TransportError('TIMEOUT', 'http://127.0.0.1:7480', 5000), 'sts-timeout', /did not answer within 5 s/],
    ['an HTML page', { status: 502, contentType: 'text/html', body: '<html>bad gateway</html>' } as HttpAnswer, 'sts-unexpected-answer', /HTTP 502 with a body that is not an S3 or STS error/],
    ['a 200 without credentials', xml(200, '<ListAllMyBucketsResult/>'), 'sts-unexpected-answer', /answered 200 without credentials/],
    [
      'a 200 with a session token that holds a line break',
      xml(200, '<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>K1</AccessKeyId><SecretAccessKey>S1</SecretAccessKey><SessionToken>Fr0ged\n::stop-commands::x</SessionToken></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>'),
      'sts-unexpected-answer',
      /^(?!.*Fr0ged).*answered 200 with credentials that are not valid/,
    ],
  ])('fails clearly on %s', async (_, outcome, kind, message) => {
    const error = await run(sending(outcome)).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind });
    expect((error as Error).message).toMatch(message);
  });

  it('never repeats the token or the body in its message', async () => {
    const accessToken = token();
    const error = (await run(sending(denied, jwks({ kid: 'sig-key' })), accessToken).catch((e: unknown) => e)) as Error;
    expect(error.message).not.toContain(accessToken);
    expect(error.message).not.toContain('tx1');
  });

  it("fetches no JWKS from a host the token's iss names unless it is keycloak-url's", async () => {
    const send = sending(denied);
    const error = await run(send, token({ iss: 'https://attacker.example/realms/s3' })).catch((e: unknown) => e);
    expect(send).toHaveBeenCalledTimes(1);
    expect((error as Error).message).toContain("The token's issuer (https://attacker.example/realms/s3) is not at keycloak-url's origin, so the action did not fetch its JWKS");
  });
});
