// CONTRIBUTING's "Debugging locally" section, run as written against the suite's
// Keycloak with GitHub's local-action from npm (test/local-action/), and held to
// what the section says it shows.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedKeycloakApi } from './support/shared-servers.js';
import { user } from './support/scenario.js';

const ROOT = resolve(import.meta.dirname, '../..');
const api = sharedKeycloakApi();

/** CONTRIBUTING's section's sh block, one command a line, comments dropped. */
function readmeCommands(): string[] {
  const readme = readFileSync(join(ROOT, 'CONTRIBUTING.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Debugging locally'), readme.indexOf('## Releasing'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((line) => line.replace(/\s+#.*$/, '').trim()).filter((line) => line !== '');
}

const [install, copyEnv, runLocalAction] = readmeCommands();

/** Runs a README command in the repository with only PATH and HOME, the .env file replaced by `envFile`. */
function sh(command: string, envFile?: string) {
  const line = envFile === undefined ? command : command.replace(/ \.env(?= |$)/, ` ${envFile}`);
  return spawnSync('bash', ['-c', line], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 180_000,
    env: { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: process.env.HOME ?? '' },
  });
}

/** .env.example with these values set: what a developer's .env would hold. */
function envFile(values: Record<string, string>): string {
  let text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  for (const [name, value] of Object.entries(values)) {
    const line = `INPUT_${name.toUpperCase()}=${value}`;
    const pattern = new RegExp(`^#? ?INPUT_${name.toUpperCase()}=.*$`, 'm');
    text = pattern.test(text) ? text.replace(pattern, line) : `${text}\n${line}\n`;
  }
  const file = join(mkdtempSync(join(tmpdir(), 'local-action-')), '.env');
  writeFileSync(file, text);
  return file;
}

beforeAll(() => {
  expect([install, copyEnv]).toEqual(['npm ci --prefix test/local-action', 'cp .env.example .env']);
  if (!existsSync(join(ROOT, 'test/local-action/node_modules/.bin/local-action'))) {
    const installed = sh(install as string);
    expect(installed.status, installed.stderr).toBe(0);
  }
}, 240_000);

describe("the README's local-action commands", () => {
  it('refresh, mask, drop the secret outputs, and run the post step', async () => {
    const login = user('alice');
    const tokens = await api.login(login);
    const runnerTemp = mkdtempSync(join(tmpdir(), 'local-action-temp-'));
    const env = envFile({ 'keycloak-url': api.baseUrl, realm: login.realm, 'client-id': login.clientId, 'refresh-token': tokens.refresh_token, 'token-file': 'true' });
    writeFileSync(env, `${readFileSync(env, 'utf8')}RUNNER_TEMP=${runnerTemp}\n`);

    const run = sh(runLocalAction as string, env);
    const log = `${run.stdout}${run.stderr}`;
    expect(run.status, log).toBe(0);
    expect(log).toContain('Running Action');
    expect(log).toContain("::info::Refreshed tokens for client 'ceph-s3' in realm 'test'.");
    for (const secret of ['access-token', 'refresh-token', 'id-token']) expect(log).toContain(`Skip output ${secret} since it may contain secret`);
    expect(log).toContain('::set-output name=token-type::Bearer');
    // No token of any kind in what it printed: not the stored one, not a new one.
    expect(log.includes(tokens.refresh_token), 'the stored refresh token was printed').toBe(false);
    expect(log).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/);
    expect(log).toContain('Running Post Step');
    expect(log).toMatch(/Deleted the access token file .*\/access-token\./);
    expect(readdirSync(runnerTemp)).toEqual([]);
  });

  it('a server that is not there: the error line, the stack with step debug on, failure-kind, and exit code 0', () => {
    const run = sh(runLocalAction as string, envFile({ 'keycloak-url': 'http://127.0.0.1:9', retries: '0', 'refresh-token': 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln' }));
    const log = `${run.stdout}${run.stderr}`;
    expect(run.status, log).toBe(0);
    expect(log).toContain('::error::could not connect to 127.0.0.1:9: connection refused (ECONNREFUSED). ');
    expect(log).toMatch(/::debug::KeycloakError: could not connect[\s\S]*\n\s+at /);
    expect(log).toMatch(/'failure-kind'\s*│\s*'network'/);
  });
});
