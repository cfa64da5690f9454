// The STS AssumeRoleWithWebIdentity call as Ceph RGW takes it: a form POST to
// the RGW URL, unsigned, with the Keycloak access token as the web identity.
import type { FormRequest } from '../transport.js';

export interface RoleRequest {
  stsEndpoint: string;
  roleArn: string;
  roleSessionName: string;
  durationSeconds: number;
}

export function assumeRoleRequest(role: RoleRequest, webIdentityToken: string): FormRequest {
  const form = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: role.roleArn,
    RoleSessionName: role.roleSessionName,
    DurationSeconds: String(role.durationSeconds),
    WebIdentityToken: webIdentityToken,
  });
  return {
    url: role.stsEndpoint,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/xml' },
    body: form.toString(),
  };
}

// RoleSessionName: 2 to 64 of [\w+=,.@-] (AWS's rule; RGW refuses a single character).
const SESSION_NAME_CHARS = String.raw`\w+=,.@-`;
const MAX_SESSION_NAME = 64;
const SESSION_NAME = new RegExp(`^[${SESSION_NAME_CHARS}]{2,${MAX_SESSION_NAME}}$`);
const NOT_SESSION_NAME_CHARS = new RegExp(`[^${SESSION_NAME_CHARS}]`, 'g');

export function isValidSessionName(name: string): boolean {
  return SESSION_NAME.test(name);
}

/** A session name RGW accepts, from the repository and run (RGW logs it with the session). */
export function defaultSessionName(env: NodeJS.ProcessEnv): string {
  const repository = (env.GITHUB_REPOSITORY ?? 'local').replace('/', '@');
  const name = `gh@${repository}@${env.GITHUB_RUN_ID ?? '0'}`.replace(NOT_SESSION_NAME_CHARS, '-');
  return name.length > MAX_SESSION_NAME ? name.slice(name.length - MAX_SESSION_NAME) : name;
}
