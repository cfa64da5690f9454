// keep-fresh and aws-profile: whether later steps get the keycloak-token
// command (and, with role-to-assume, an AWS profile that refreshes by itself).
import type { InputReader } from '../input-values.js';
import { InputError, optionalSingleLine, readBoolean } from '../input-values.js';

export interface KeepFreshInputs {
  keepFresh: boolean;
  /** The AWS profile's name, with role-to-assume; undefined for the default, `keycloak`. */
  awsProfile: string | undefined;
}

export const DEFAULT_AWS_PROFILE = 'keycloak';

export function parseKeepFreshInputs(read: InputReader): KeepFreshInputs {
  const keepFresh = readBoolean(read, 'keep-fresh', false);
  const profile = optionalSingleLine(read, 'aws-profile');
  if (profile !== undefined && !keepFresh) throw new InputError('aws-profile', 'is only used with keep-fresh: true (and role-to-assume)');
  if (profile !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(profile)) {
    throw new InputError('aws-profile', 'must be a profile name: 1 to 64 of A-Z a-z 0-9 _ . -');
  }
  return { keepFresh, awsProfile: profile };
}
