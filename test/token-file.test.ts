import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTokenFile, writeTokenFile } from '../src/token-file.js';

describe('token file', () => {
  it('writes the token in a private directory with mode 0600 and removes it', () => {
    const parent = mkdtempSync(join(tmpdir(), 'runner-temp-'));
    const file = writeTokenFile(parent, 'the-token');
    expect(readFileSync(file, 'utf8')).toBe('the-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700);
    expect(removeTokenFile(parent, file)).toBe(true);
    expect(existsSync(join(file, '..'))).toBe(false);
  });

  it('refuses to delete a path it did not write', () => {
    const parent = mkdtempSync(join(tmpdir(), 'runner-temp-'));
    const other = join(parent, 'precious');
    writeFileSync(other, 'keep me');
    expect(removeTokenFile(parent, other)).toBe(false);
    expect(removeTokenFile(parent, '/etc/passwd')).toBe(false);
    expect(existsSync(other)).toBe(true);
  });
});
