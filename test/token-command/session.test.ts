// The session file as keycloak-token and the post step read it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SessionGone, createStateDir, readSession } from '../../src/token-command/session.js';

describe('readSession', () => {
  it('says a session is gone when its file is', () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'session-test-')), 'state');
    createStateDir(stateDir);
    expect(() => readSession(stateDir)).toThrow(SessionGone);
  });

  it('refuses a corrupt file without quoting it: JSON.parse would show a piece of a token', () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'session-test-')), 'state');
    createStateDir(stateDir);
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjb3JydXB0In0.c2lnbmF0dXJlX3BpZWNl';
    writeFileSync(join(stateDir, 'session.json'), `{"refreshToken":"${token}" x}`);
    let message = '';
    try {
      readSession(stateDir);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/session\.json is not a session this action wrote \(not JSON\)\.$/);
    for (let i = 0; i + 12 <= token.length; i++) expect(message).not.toContain(token.slice(i, i + 12));
  });
});
