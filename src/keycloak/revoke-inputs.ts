// revoke-on-post: whether the post step revokes what the job minted (the access
// tokens handed out, and the session of a fallback login nobody keeps).
import type { InputReader } from '../input-values.js';
import { readBoolean } from '../input-values.js';

export interface RevokeInputs {
  /** Default on: the tokens never leave the job, so nothing outside it can depend on them. */
  revokeOnPost: boolean;
}

export function parseRevokeInputs(read: InputReader): RevokeInputs {
  return { revokeOnPost: readBoolean(read, 'revoke-on-post', true) };
}
