// Small text rules shared by every feature.

/** A base URL as paths are appended to it: https://sso.example.com/auth/// becomes https://sso.example.com/auth. */
export function withoutTrailingSlashes(url: string): string {
  return url.replace(/\/+$/, '');
}
