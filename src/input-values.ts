// How one input's text becomes a value: the readers each feature's inputs
// module uses, and InputError. Pure: the caller passes a reader (core.getInput
// at the edge, a plain object in tests). Every problem is an InputError of one
// line that names the input and never repeats its value, which may be a secret.

/** Returns the raw value of an input, '' when it is not set. */
export type InputReader = (name: string) => string;

export class InputError extends Error {
  constructor(
    readonly input: string,
    problem: string,
  ) {
    super(`Input '${input}' ${problem}`);
    this.name = 'InputError';
  }
}

/** One of `choices`, case-insensitive; `fallback` when empty. */
export function readChoice<T extends string>(read: InputReader, name: string, choices: readonly T[], fallback: T): T {
  const value = read(name).trim().toLowerCase() || fallback;
  const choice = choices.find((c) => c === value);
  if (choice === undefined) throw new InputError(name, `must be one of: ${choices.map((c) => `'${c}'`).join(', ')}`);
  return choice;
}

export function requiredSingleLine(read: InputReader, name: string): string {
  const value = optionalSingleLine(read, name);
  if (value === undefined) throw new InputError(name, 'is required');
  return value;
}

export function optionalSingleLine(read: InputReader, name: string): string | undefined {
  const value = read(name).trim();
  if (value === '') return undefined;
  if (/[\r\n]/.test(value)) throw new InputError(name, 'contains a line break');
  return value;
}

// The YAML 1.2 core schema booleans, as core.getBooleanInput accepts them.
const TRUE_VALUES = ['true', 'True', 'TRUE'];
const FALSE_VALUES = ['false', 'False', 'FALSE'];

export function readBoolean(read: InputReader, name: string, fallback: boolean): boolean {
  const value = read(name).trim();
  if (value === '') return fallback;
  if (TRUE_VALUES.includes(value)) return true;
  if (FALSE_VALUES.includes(value)) return false;
  throw new InputError(name, "must be 'true' or 'false'");
}

/** A whole number from `min` to `max`; `fallback` when empty. */
export function readWholeNumber(read: InputReader, name: string, range: { min: number; max: number; fallback: number }, problem: string): number {
  const value = read(name).trim();
  if (value === '') return range.fallback;
  if (!/^\d+$/.test(value) || Number(value) < range.min || Number(value) > range.max) throw new InputError(name, problem);
  return Number(value);
}

/** How plain http:// is treated: the allow-insecure-http input, and where its warnings go. */
export interface HttpPolicy {
  allowInsecureHttp: boolean;
  warnings: string[];
}

/**
 * An http(s) URL without credentials, query or fragment. Plain http:// only to
 * a host on this machine or in the job (loopback, or a single-label name such as
 * a service container's), or with allow-insecure-http: true and a warning.
 * `credentialsHint` says where credentials go instead.
 */
export function readHttpUrl(value: string, name: string, example: string, policy: HttpPolicy, credentialsHint = ''): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(name, `is not a valid URL: expected e.g. ${example}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(name, `must use https:// (or http:// for a local server), not ${url.protocol}//`);
  }
  if (url.username !== '' || url.password !== '') throw new InputError(name, `must not contain credentials${credentialsHint}`);
  if (url.search !== '' || url.hash !== '') {
    throw new InputError(name, 'must not have a query (?...) or fragment (#...)');
  }
  if (url.protocol === 'http:' && !isLocalHost(url.hostname)) {
    const risk = `uses plain http:// to ${url.hostname}: tokens and secrets would travel unencrypted`;
    if (!policy.allowInsecureHttp) throw new InputError(name, `${risk}. Use https://, or set allow-insecure-http: true`);
    policy.warnings.push(`${name} ${risk.replace('would travel', 'travel')} (allow-insecure-http: true). Use https://.`);
  }
  return url;
}

/** Loopback, or a single-label name (a service container such as `keycloak`), which stays on the runner's network. */
function isLocalHost(hostname: string): boolean {
  if (hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)) return true;
  return /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/i.test(hostname) && !/^\d+$/.test(hostname);
}
