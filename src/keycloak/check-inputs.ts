// mode: check's own inputs: check-method, min-validity and warn-validity.
import { parseDuration } from '../duration.js';
import type { InputReader } from '../input-values.js';
import { InputError, readChoice } from '../input-values.js';

export const CHECK_METHOD_CHOICES = ['auto', 'introspect', 'refresh'] as const;
/** How check mode asks the server; `auto` is resolved to one of these. */
export type CheckMethod = Exclude<(typeof CHECK_METHOD_CHOICES)[number], 'auto'>;

export interface CheckInputs {
  method: CheckMethod;
  /** Check mode fails when less validity remains, and warns below the warning threshold. */
  minValiditySeconds: number | undefined;
  warnValiditySeconds: number | undefined;
}

/** `confidential`: whether the client may introspect, which check-method: auto prefers. */
export function parseCheckInputs(read: InputReader, confidential: boolean): CheckInputs {
  const choice = readChoice(read, 'check-method', CHECK_METHOD_CHOICES, 'auto');
  const method = choice === 'auto' ? (confidential ? 'introspect' : 'refresh') : choice;
  const [minValiditySeconds, warnValiditySeconds] = (['min-validity', 'warn-validity'] as const).map((name) => {
    const raw = read(name).trim();
    if (raw === '') return undefined;
    const seconds = parseDuration(raw);
    if (seconds === undefined) throw new InputError(name, 'must be a duration such as 90m, 12h, 7d, or a number of seconds');
    return seconds;
  });
  if (minValiditySeconds !== undefined && warnValiditySeconds !== undefined && warnValiditySeconds <= minValiditySeconds) {
    throw new InputError('warn-validity', 'must be longer than min-validity: it warns before the check fails');
  }
  return { method, minValiditySeconds, warnValiditySeconds };
}
