// The Ceph harness itself: the shared RGW answers, its IAM helpers work, and the S3 clients
// in its image (awscli, boto3) round-trip objects. No tokens here: the STS tests build on this.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningCeph } from './support/ceph-container.js';
import { sharedCeph } from './support/shared-servers.js';
import {
  bucketPolicy,
  createBucket,
  createOidcProvider,
  createRole,
  iamAdminEnv,
  oidcProviderArn,
  putRolePolicy,
  webIdentityTrustPolicy,
} from './support/ceph-container.js';

const BOTO3_PUT_GET = `
import os, boto3
s3 = boto3.client("s3")
s3.put_object(Bucket=os.environ["BUCKET"], Key="from-boto3", Body=os.environ["CONTENT"].encode())
print(s3.get_object(Bucket=os.environ["BUCKET"], Key="from-awscli")["Body"].read().decode(), end="")
`;

describe('Ceph RGW harness', () => {
  let ceph: RunningCeph;
  beforeAll(async () => {
    ceph = await sharedCeph();
  });

  it('gives every exec a fresh HOME and the given environment', async () => {
    const script = 'echo "$HOME $GREETING"; ls -A "$HOME"; touch "$HOME/.left-behind"';
    const first = await ceph.exec(['bash', '-c', script], { GREETING: 'hello' });
    const second = await ceph.exec(['bash', '-c', script], { GREETING: 'again' });
    expect(first.exitCode, first.stderr).toBe(0);
    const [home1, greeting1] = first.stdout.split('\n', 1)[0]?.split(' ') ?? [];
    const [home2, greeting2] = second.stdout.split('\n', 1)[0]?.split(' ') ?? [];
    expect([greeting1, greeting2]).toEqual(['hello', 'again']);
    expect(home1).toMatch(/^\/tmp\//);
    expect(home2).not.toBe(home1);
    expect(second.stdout).not.toContain('.left-behind');
  });

  it('round-trips objects with awscli and boto3 in a bucket of iam-admin', async () => {
    const bucket = `smoke-${randomBytes(4).toString('hex')}`;
    await createBucket(ceph, bucket);
    const viaAwscli = `awscli ${randomBytes(8).toString('hex')}`;
    const viaBoto3 = `boto3 ${randomBytes(8).toString('hex')}`;
    const env = { ...iamAdminEnv(ceph), BUCKET: bucket };

    const put = await ceph.exec(['bash', '-c', 'printf %s "$CONTENT" | aws s3 cp - "s3://$BUCKET/from-awscli"'], { ...env, CONTENT: viaAwscli });
    expect(put.exitCode, put.stderr).toBe(0);
    // boto3 writes its own object and reads awscli's back.
    const boto3 = await ceph.exec(['python3', '-c', BOTO3_PUT_GET], { ...env, CONTENT: viaBoto3 });
    expect(boto3.exitCode, boto3.stderr).toBe(0);
    expect(boto3.stdout).toBe(viaAwscli);
    // awscli reads boto3's back.
    const get = await ceph.exec(['aws', 's3', 'cp', `s3://${bucket}/from-boto3`, '-'], env);
    expect(get.exitCode, get.stderr).toBe(0);
    expect(get.stdout).toBe(viaBoto3);
  });

  it('registers an OIDC provider, a role and its policy as iam-admin', async () => {
    const issuer = `${inject('keycloakUrl')}/realms/test`;
    expect(await createOidcProvider(ceph, issuer, ['ceph-s3'])).toBe(oidcProviderArn(issuer));
    const roleArn = await createRole(ceph, 'SmokeRole', webIdentityTrustPolicy(issuer, { audience: 'ceph-s3', sub: 'someone' }));
    expect(roleArn).toBe('arn:aws:iam:::role/SmokeRole');
    await putRolePolicy(ceph, 'SmokeRole', 'smoke-bucket', bucketPolicy('smoke-bucket'));
    const role = await ceph.exec(['aws', 'iam', 'get-role-policy', '--role-name', 'SmokeRole', '--policy-name', 'smoke-bucket'], iamAdminEnv(ceph));
    expect(role.exitCode, role.stderr).toBe(0);
    expect(JSON.parse(role.stdout)).toMatchObject({ RoleName: 'SmokeRole', PolicyName: 'smoke-bucket' });
  });
});
