// bundle-stubs/ (see its README): the throwing stand-ins for the two transitive
// modules the action never calls are what the installed tree and the bundle
// resolve, and everything else is the published packages.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const bundle = () => readdirSync(DIST).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(DIST, f), 'utf8')).join('\n');

describe('bundle-stubs', () => {
  it('are what @actions/http-client and @actions/core import, and throw when called', async () => {
    const fromHttpClient = createRequire(join(ROOT, 'node_modules/@actions/http-client/lib/index.js'));
    const fromCore = createRequire(join(ROOT, 'node_modules/@actions/core/lib/core.js'));
    expect(fromHttpClient.resolve('undici')).toBe(join(ROOT, 'bundle-stubs/undici/index.js'));
    expect(fromCore.resolve('@actions/exec')).toBe(join(ROOT, 'bundle-stubs/actions-exec/index.js'));
    const { ProxyAgent } = await import('../bundle-stubs/undici/index.js');
    expect(() => new ProxyAgent()).toThrow('undici is not bundled with this action');
    const { getExecOutput } = await import('../bundle-stubs/actions-exec/index.js');
    await expect(getExecOutput('lsb_release')).rejects.toThrow('@actions/exec is not bundled with this action');
  });

  it('leave the published @actions/core and @actions/http-client in the bundle, and nothing of undici', () => {
    const code = bundle();
    // Strings from the real packages' sources, which a copy or a stand-in would not carry.
    expect(code).toContain('Unable to find environment variable for file command');
    expect(code).toContain('ghadelimiter_');
    expect(code).toContain('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
    expect(code).toContain('undici is not bundled with this action');
    expect(code).not.toMatch(/UND_ERR_/);
    expect(code).not.toContain('Unable to locate executable file');
  });

  it('are the only packages not taken as published', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { link?: boolean; resolved?: string }> };
    const links = Object.entries(lock.packages).filter(([, entry]) => entry.link).map(([path, entry]) => `${path} -> ${entry.resolved}`);
    expect(links.sort()).toEqual(['node_modules/@actions/exec -> bundle-stubs/actions-exec', 'node_modules/undici -> bundle-stubs/undici']);
  });
});
