// The main step's list for the post step: private, merged, and never read or
// deleted outside RUNNER_TEMP's own folders; a broken one is refused without
// quoting it.
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addToRevocationList, createRevocationList, isRevocationList, readRevocationList, removeRevocationList } from '../src/revocation-list.js';

describe('the revocation list', () => {
  it('is 0600 in a 0700 folder, merges what is added, and is removed with its folder', () => {
    const parent = mkdtempSync(join(tmpdir(), 'revoke-list-'));
    const file = createRevocationList(parent);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
    addToRevocationList(file, { accessTokens: ['access-1'], logout: 'refresh-1' });
    addToRevocationList(file, { accessTokens: ['access-2', 'access-1', ''] });
    expect(readRevocationList(file)).toEqual({ accessTokens: ['access-1', 'access-2'], logout: 'refresh-1' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(removeRevocationList(parent, file)).toBe(true);
    expect(readRevocationList(file)).toEqual({ accessTokens: [], logout: undefined });
  });

  it('refuses a path that is not its own, and quotes nothing of a broken list', () => {
    const parent = mkdtempSync(join(tmpdir(), 'revoke-list-'));
    expect(isRevocationList(parent, '/etc/passwd')).toBe(false);
    expect(removeRevocationList(parent, join(parent, 'elsewhere', 'tokens.json'))).toBe(false);
    const file = createRevocationList(parent);
    writeFileSync(file, '{"accessTokens": [eyJSecretTokenPiece');
    expect(() => readRevocationList(file)).toThrow(/is not a revocation list this action wrote \(not JSON\)$/);
    expect(() => readRevocationList(file)).not.toThrow(/SecretToken/);
  });
});
