import { describe, expect, it } from 'vitest';
import { assumeRoleRequest, defaultSessionName, isValidSessionName } from '../../src/s3/sts-request.js';

describe('assumeRoleRequest', () => {
  it('posts the form RGW takes, unsigned, with the access token as web identity', () => {
    const request = assumeRoleRequest({ stsEndpoint: 'https://rgw.example.com', roleArn: 'arn:aws:iam:::role/ci', roleSessionName: 'ci-1', durationSeconds: 900 }, 'the.access.token');
    expect(request.url).toBe('https://rgw.example.com');
    expect(request.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/xml' });
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: 'arn:aws:iam:::role/ci',
      RoleSessionName: 'ci-1',
      DurationSeconds: '900',
      WebIdentityToken: 'the.access.token',
    });
  });
});

describe('defaultSessionName', () => {
  it('names the repository and run, in characters RGW accepts', () => {
    expect(defaultSessionName({ GITHUB_REPOSITORY: 'acme/ceph pipeline', GITHUB_RUN_ID: '123' })).toBe('gh@acme@ceph-pipeline@123');
  });

  it('keeps the run id when the repository name is long', () => {
    const name = defaultSessionName({ GITHUB_REPOSITORY: `acme/${'x'.repeat(100)}`, GITHUB_RUN_ID: '987654321' });
    expect(name).toHaveLength(64);
    expect(name.endsWith('@987654321')).toBe(true);
    expect(isValidSessionName(name)).toBe(true);
  });

  it('is valid without any GitHub variables', () => {
    expect(isValidSessionName(defaultSessionName({}))).toBe(true);
  });
});

describe('isValidSessionName', () => {
  it('gives the same answer every time it is asked', () => {
    expect([1, 2, 3].map(() => isValidSessionName('gh@acme@pipeline@42'))).toEqual([true, true, true]);
    expect([1, 2, 3].map(() => isValidSessionName('has space'))).toEqual([false, false, false]);
  });

  it.each(['x', 'x'.repeat(65), 'a/b', ''])('refuses %j', (name) => {
    expect(isValidSessionName(name)).toBe(false);
  });
});
