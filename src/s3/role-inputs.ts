// The role to assume at RGW's STS with the new access token: role-to-assume,
// sts-endpoint, role-session-name, role-duration-seconds and s3-endpoint.
import type { InputReader } from '../input-values.js';
import type { HttpPolicy } from '../input-values.js';
import { InputError, optionalSingleLine, readHttpUrl, readWholeNumber } from '../input-values.js';
import { withoutTrailingSlashes } from '../text.js';
import { isValidSessionName } from './sts-request.js';

export interface S3Role {
  roleArn: string;
  stsEndpoint: string;
  /** Undefined: built from the repository and run by the caller. */
  roleSessionName: string | undefined;
  durationSeconds: number;
  /** Exported as AWS_ENDPOINT_URL; sts-endpoint unless given. */
  s3Endpoint: string;
}

const ROLE_INPUTS = ['sts-endpoint', 'role-session-name', 'role-duration-seconds', 's3-endpoint'] as const;
// RGW's floor is rgw_sts_min_session_duration: 900 unless an operator lowers it.
const DURATION_SECONDS = { min: 60, max: 43_200, fallback: 3600 };
const EXAMPLE = 'https://rgw.example.com';

export function parseS3Role(read: InputReader, http: HttpPolicy): S3Role | undefined {
  const roleArn = optionalSingleLine(read, 'role-to-assume');
  if (roleArn === undefined) {
    const stray = ROLE_INPUTS.find((name) => read(name).trim() !== '');
    if (stray !== undefined) throw new InputError(stray, 'is only used with role-to-assume');
    return undefined;
  }
  if (!/^arn:[\w-]+:iam::[^:\s]*:role\/\S+$/.test(roleArn)) {
    throw new InputError('role-to-assume', 'must be a role ARN, e.g. arn:aws:iam:::role/ci-writer');
  }
  const rawSts = read('sts-endpoint').trim();
  if (rawSts === '') throw new InputError('sts-endpoint', `is required with role-to-assume: RGW's URL, e.g. ${EXAMPLE}`);
  const stsEndpoint = withoutTrailingSlashes(readHttpUrl(rawSts, 'sts-endpoint', EXAMPLE, http).href);
  const rawS3 = read('s3-endpoint').trim();
  const s3Endpoint = rawS3 === '' ? stsEndpoint : withoutTrailingSlashes(readHttpUrl(rawS3, 's3-endpoint', EXAMPLE, http).href);
  const roleSessionName = optionalSingleLine(read, 'role-session-name');
  if (roleSessionName !== undefined && !isValidSessionName(roleSessionName)) {
    throw new InputError('role-session-name', 'must be 2 to 64 of the characters A-Z a-z 0-9 + = , . @ _ -');
  }
  const durationSeconds = readWholeNumber(read, 'role-duration-seconds', DURATION_SECONDS, 'must be a whole number of seconds from 60 to 43200 (RGW refuses less than its rgw_sts_min_session_duration, 900 by default)');
  return { roleArn, stsEndpoint, roleSessionName, durationSeconds, s3Endpoint };
}
