// Text from outside the action (a server's answer, a token's claims, the
// runner's or an API's error message) is data. This module is the one place it
// is made safe before it reaches a log line, an annotation, an output or the job
// summary: every secret the action knows is removed first, in each form it was
// sent in, and only then is the text flattened to one line, stripped of what
// the runner would take as a command, and cut to length.

const secretForms = new Set<string>();

/** A value the action masks: its raw, form-encoded and URI-encoded forms are removed from outside text. */
export function rememberSecret(value: string): void {
  // Masks of a few characters would blank out ordinary words.
  if (value.length < 6) return;
  for (const form of [value, formEncoded(value), encodeURIComponent(value)]) secretForms.add(form);
}

/** Outside text as one safe line of at most `maxLength` characters. */
export function outsideText(raw: string, maxLength = 160): string {
  let text = raw;
  // Longest first, so that a secret that contains another is removed whole.
  for (const form of [...secretForms].sort((a, b) => b.length - a.length)) text = text.split(form).join('***');
  text = neutraliseCommands(flatten(text));
  return text.length > maxLength ? `${text.slice(0, maxLength - 3)}...` : text;
}

/** Line breaks, other control characters and the Unicode ones that reorder or hide text, as spaces. */
function flatten(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- control characters are what this removes
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/**
 * Breaks what the runner parses as a workflow command in a log line: the legacy
 * `##[name]` anywhere, and `::name::` at the start. The last guard for every
 * line the action writes, and part of outsideText().
 */
export function neutraliseCommands(line: string): string {
  let safe = line;
  while (safe.includes('##[')) safe = safe.replaceAll('##[', '#\u00a0#[');
  return safe.replace(/^(\s*):(?=:)/, '$1:\u00a0');
}

/** For a cell of the job summary, which the toolkit writes as HTML without escaping. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Fields whose format is known, checked before they are published: a value
 * that does not fit is reported as invalid, never printed.
 */
const FORMATS = {
  /** Keycloak's token kind claim: Refresh, Offline, Bearer, ID. */
  typ: /^[A-Za-z][A-Za-z-]{0,31}$/,
  /** RFC 6749 section 5.1: a type name such as Bearer or DPoP. */
  tokenType: /^[A-Za-z][A-Za-z0-9_.-]{0,31}$/,
  /** RFC 6749 section 3.3: scope tokens of %x21 / %x23-5B / %x5D-7E, one space apart. */
  scope: /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/,
  /** Keycloak's session id: a UUID, or another opaque id of URL-safe characters. */
  sessionState: /^[A-Za-z0-9._~-]{1,128}$/,
  /** A token as Keycloak issues it: one word of visible ASCII (a JWT). */
  token: /^[\x21-\x7e]+$/,
  /** An STS access key id (AWS: 16 to 128 characters): one word of visible ASCII. */
  accessKeyId: /^[\x21-\x7e]{1,128}$/,
  /** An STS secret access key: one word of visible ASCII. */
  secretAccessKey: /^[\x21-\x7e]{1,1024}$/,
  /** An STS session token (RGW's carries the role and the token's claims): one word of visible ASCII. */
  sessionToken: /^[\x21-\x7e]{1,65536}$/,
} as const;

/** Formats of secrets (a token, a key): printed whole by a later step, e.g. `keycloak-token` on stdout. */
const SECRET_FORMATS = new Set<keyof typeof FORMATS>(['token', 'accessKeyId', 'secretAccessKey', 'sessionToken']);

/** What a field that does not fit its format is published as. */
export const INVALID = '(invalid)';

export type Format = keyof typeof FORMATS;

export function fitsFormat(value: string, format: Format): boolean {
  // Tokens with many roles run to tens of kB; the other fields are short.
  if (value.length > (format === 'token' ? 256 * 1024 : 65536) || !FORMATS[format].test(value)) return false;
  if (!SECRET_FORMATS.has(format) && value.length > 4096) return false;
  // A published field may be printed by a later step, a secret on a line of its own
  // (`keycloak-token`): no word of it may read as a command.
  return !/(^| )::|##\[/.test(value);
}

function formEncoded(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
