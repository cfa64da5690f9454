// Trades the new access token for temporary S3 credentials at RGW's STS
// (AssumeRoleWithWebIdentity). Pure apart from the injected transport and clock.
import type { SendRequest } from '../transport.js';
import { TransportError, isSuccess } from '../transport.js';
import type { RoleRequest } from './sts-request.js';
import { assumeRoleRequest } from './sts-request.js';
import type { TemporaryCredentials } from './sts-response.js';
import { MALFORMED, parseCredentials, parseFault } from './sts-response.js';
import { StsError, stsTransportError } from './sts-error.js';
import type { WebIdentityContext } from './web-identity-diagnosis.js';
import { diagnoseWebIdentity } from './web-identity-diagnosis.js';

export interface AssumeRoleDeps {
  send: SendRequest;
  now?: () => number;
}

export interface AssumeRoleContext extends WebIdentityContext {
  timeoutMs: number;
}

export async function assumeRole(role: RoleRequest, accessToken: string, { timeoutMs, ...context }: AssumeRoleContext, deps: AssumeRoleDeps): Promise<TemporaryCredentials> {
  const request = assumeRoleRequest(role, accessToken);
  const host = new URL(role.stsEndpoint).host;
  let answer;
  try {
    answer = await deps.send({ ...request, method: 'POST' }, timeoutMs);
  } catch (error) {
    if (error instanceof TransportError) throw stsTransportError(error, host);
    throw error;
  }
  if (isSuccess(answer)) {
    const credentials = await parseCredentials(answer.body);
    if (credentials === undefined) {
      throw new StsError('sts-unexpected-answer', `${role.stsEndpoint} answered ${answer.status} without credentials: is sts-endpoint RGW's S3/STS URL?`);
    }
    if (credentials === MALFORMED) {
      throw new StsError('sts-unexpected-answer', `${role.stsEndpoint} answered ${answer.status} with credentials that are not valid: AccessKeyId, SecretAccessKey and SessionToken must each be one word of visible ASCII of a sane length (not used, not shown).`);
    }
    return credentials;
  }
  const fault = await parseFault(answer.body);
  if (fault === undefined) {
    throw new StsError('sts-unexpected-answer', `${role.stsEndpoint} answered HTTP ${answer.status} with a body that is not an S3 or STS error: is sts-endpoint RGW's S3/STS URL?`);
  }
  const quoted = `${answer.status} ${fault.code}${fault.message ? `: "${fault.message}"` : ''}`;
  if (answer.status === 400 && /session size is incorrect/i.test(fault.message)) {
    throw new StsError('sts-refused', `RGW's STS at ${host} refused AssumeRoleWithWebIdentity (${quoted}): role-session-name must be 2 to 64 characters.`);
  }
  const findings = await diagnoseWebIdentity(accessToken, context, { send: deps.send, now: deps.now ?? Date.now });
  throw new StsError('sts-refused', `RGW's STS at ${host} refused AssumeRoleWithWebIdentity for role ${role.roleArn} (${quoted}). ${findings.join(' ')}`);
}
