import { describe, expect, it } from 'vitest';
import { MALFORMED, parseCredentials, parseFault } from '../../src/s3/sts-response.js';

// RGW 18.2's answer, shortened.
const success = `<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>
<SubjectFromWebIdentityToken>5b1c-alice</SubjectFromWebIdentityToken><Audience>ceph-s3</Audience>
<AssumedRoleUser><Arn>arn:aws:sts:::assumed-role/S3Access/ci</Arn><AssumeRoleId></AssumeRoleId></AssumedRoleUser>
<Credentials><AccessKeyId>TEMPKEY123</AccessKeyId><Expiration>2026-11-27T13:00:00Z</Expiration>
<SecretAccessKey>temp/secret+key</SecretAccessKey><SessionToken>session&amp;token==</SessionToken></Credentials>
<Provider>http://127.0.0.1:8080/realms/s3</Provider></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`;

describe('parseCredentials', () => {
  it('reads the temporary credentials and the subject', async () => {
    expect(await parseCredentials(success)).toEqual({
      accessKeyId: 'TEMPKEY123',
      secretAccessKey: 'temp/secret+key',
      sessionToken: 'session&token==',
      expiration: new Date('2026-11-27T13:00:00Z'),
      subject: '5b1c-alice',
    });
  });

  it.each([
    ['not XML', '{"Credentials": {}}'],
    ['an S3 listing', '<ListAllMyBucketsResult><Buckets/></ListAllMyBucketsResult>'],
    ['credentials without a session token', success.replace(/<SessionToken>.*<\/SessionToken>/, '')],
    ['broken XML', '<AssumeRoleWithWebIdentityResponse><Credentials>'],
  ])('finds none in %s', async (_, body) => {
    expect(await parseCredentials(body)).toBeUndefined();
  });
});

describe('parseCredentials refuses values that could be printed as commands', () => {
  it.each([
    ['a line break in the session token', '<SessionToken>x\n::warning title=forged::y</SessionToken>'],
    ['a lone carriage return in the secret key', '<SecretAccessKey>x\r::stop-commands::y</SecretAccessKey>'],
    ['a space in the key id', '<AccessKeyId>TEMP KEY</AccessKeyId>'],
    ['U+2028 in the session token', '<SessionToken>x\u2028y</SessionToken>'],
    ['a legacy command in the session token', '<SessionToken>x##[stop-commands]y</SessionToken>'],
    ['a session token that starts a command', '<SessionToken>::stop-commands::y</SessionToken>'],
    ['a 129-character key id', `<AccessKeyId>${'K'.repeat(129)}</AccessKeyId>`],
  ])('%s', async (_, field) => {
    const name = /^<(\w+)>/.exec(field)?.[1] ?? '';
    const body = success.replace(new RegExp(`<${name}>.*?</${name}>`, 's'), field);
    expect(await parseCredentials(body)).toBe(MALFORMED);
  });
});

describe('parseFault', () => {
  it("reads RGW's S3-shaped refusal", async () => {
    const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message></Message><RequestId>tx0</RequestId><HostId>x</HostId></Error>';
    expect(await parseFault(body)).toEqual({ code: 'AccessDenied', message: '' });
  });

  it("reads AWS's STS-shaped refusal", async () => {
    const body = '<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>Token\n is   bad</Message></Error></ErrorResponse>';
    expect(await parseFault(body)).toEqual({ code: 'InvalidIdentityToken', message: 'Token is bad' });
  });

  it('finds none in an HTML page', async () => {
    expect(await parseFault('<html><body>502 Bad Gateway</body></html>')).toBeUndefined();
  });
});
