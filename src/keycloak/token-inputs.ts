// The stored refresh token and what stands in for it when it is dead or not
// given: refresh-token, fallback (with username and password) and scope.
// Whether an empty refresh-token is allowed depends on other features' inputs:
// inputs.ts decides that.
import type { InputReader } from '../input-values.js';
import { InputError, optionalSingleLine, readChoice } from '../input-values.js';

export const FALLBACKS = ['none', 'password', 'client-credentials'] as const;
export type Fallback = (typeof FALLBACKS)[number];

export interface TokenInputs {
  /** '' when not given. */
  refreshToken: string;
  /** How to log in when the refresh token is dead (or not given). */
  fallback: Fallback;
  username: string | undefined;
  password: string | undefined;
  scope: string | undefined;
}

export function parseTokenInputs(read: InputReader): TokenInputs {
  const refreshToken = read('refresh-token').trim();
  if (/\s/.test(refreshToken)) {
    throw new InputError('refresh-token', 'contains whitespace or a line break inside it: a token is a single word');
  }
  const fallback = readChoice(read, 'fallback', FALLBACKS, 'none');
  const username = optionalSingleLine(read, 'username');
  const password = optionalSingleLine(read, 'password');
  if (fallback === 'password') {
    if (username === undefined) throw new InputError('username', 'is required with fallback: password');
    if (password === undefined) throw new InputError('password', 'is required with fallback: password');
  } else if (username !== undefined || password !== undefined) {
    throw new InputError(username !== undefined ? 'username' : 'password', 'is only used with fallback: password');
  }
  const scope = optionalSingleLine(read, 'scope');
  return { refreshToken, fallback, username, password, scope };
}
