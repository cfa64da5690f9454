// Small text rules shared by every feature.

/**
 * Text from outside (a server's error message, an XML fault) squeezed to one
 * line of at most 160 characters, so that a hostile or broken server cannot
 * fill the log or break a one-line error.
 */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/** A base URL as paths are appended to it: https://sso.example.com/auth/// becomes https://sso.example.com/auth. */
export function withoutTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
