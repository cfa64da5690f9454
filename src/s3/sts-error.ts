// What went wrong with the STS call, in RGW's terms and with what to do.
import type { TransportError } from '../transport.js';
import { isTlsErrorCode } from '../transport.js';

export const STS_FAILURE_KINDS = ['sts-refused', 'sts-unexpected-answer', 'sts-unreachable', 'sts-timeout'] as const;

export type StsFailureKind = (typeof STS_FAILURE_KINDS)[number];

export class StsError extends Error {
  constructor(
    readonly kind: StsFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'StsError';
  }
}

export function stsTransportError(error: TransportError, host: string): StsError {
  if (error.code === 'TIMEOUT') return new StsError('sts-timeout', `RGW's STS at ${host} did not answer within ${error.timeoutMs / 1000} s.`);
  if (isTlsErrorCode(error.code)) {
    return new StsError('sts-unreachable', `the TLS certificate of ${host} is not trusted (${error.code}): give its CA as ca-certificate.`);
  }
  return new StsError('sts-unreachable', `could not reach RGW's STS at ${host} (${error.code}). Check sts-endpoint and that RGW is running.`);
}
