// refreshersOf must never answer "none running" when it could not look.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { refreshersOf } from './later-step.js';

afterEach(() => vi.unstubAllEnvs());

describe('refreshersOf', () => {
  it('lists nothing for a session no process names', () => {
    expect(refreshersOf('/nonexistent/keycloak-keep-fresh-none/state')).toEqual([]);
  });

  it('throws when pgrep cannot run, instead of answering "none"', () => {
    vi.stubEnv('PATH', '/nonexistent');
    expect(() => refreshersOf('/tmp/some/state')).toThrow(/cannot run pgrep/);
  });

  it('throws for an empty state directory, which would match every refresher', () => {
    expect(() => refreshersOf('')).toThrow(/no state directory/);
  });
});
