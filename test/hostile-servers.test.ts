// Property: whatever a hostile Keycloak, RGW, GitHub API or runner endpoint puts
// in any field of its answers (line breaks, `::`, `##[`, HTML, 1 MiB), no line
// the action writes, in any mode, main or post step, is a workflow command it did
// not mean to write, and no output or summary cell carries the text raw.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostileScenario, HostileServer } from './support/hostile-server.js';
import { FORGED, HOSTILE_PIECES, startHostileServer } from './support/hostile-server.js';
import { fakeJwt, json, startFakeEndpoint } from './support/fake-token-endpoint.js';
import { SECRET_OUTPUTS, expectNoLeaks, visibleLog } from './support/leak-check.js';
import type { ActionRun, StepRun } from './support/run-action.js';
import { runAction } from './support/run-action.js';

let server: HostileServer;
beforeAll(async () => {
  server = await startHostileServer();
});
afterAll(() => server.close());

const hostileText = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ maxLength: 12 })), { minLength: 1, maxLength: 6 })
  .map((parts) => parts.join(''));
const ONE_MIB = `${'A'.repeat(1024 * 1024)}${HOSTILE_PIECES.join('')}`;

const ALLOWED_COMMANDS = new Set(['add-mask', 'debug', 'warning', 'error', 'notice']);

/** What the runner would take from the step: only the commands the action writes itself. */
function expectOnlyMeantCommands(step: StepRun): void {
  for (const command of step.commands) {
    expect(command.syntax, `a legacy command: ${command.line.slice(0, 200)}`).toBe('v2');
    expect(ALLOWED_COMMANDS.has(command.name), `a ${command.name} command`).toBe(true);
    expect(command.data.trimStart().startsWith(FORGED), `a forged ${command.name}: ${command.data.slice(0, 200)}`).toBe(false);
  }
  expect(step.commands.filter((command) => command.name === 'error').length).toBeLessThanOrEqual(1);
  for (const { text } of step.lines) expect(text.includes('##['), `a line with ##[: ${text.slice(0, 200)}`).toBe(false);
}

function expectSafe(run: ActionRun): void {
  for (const step of [run, run.post]) expectOnlyMeantCommands(step);
  for (const [name, value] of Object.entries(run.outputs)) {
    if (SECRET_OUTPUTS.includes(name)) continue;
    // Printed by a later step (`echo ${{ steps.x.outputs.scope }}`), a word starting with :: could start a line.
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    expect(value, `output ${name}`).not.toMatch(/[\u0000-\u001f\u007f]|##\[|(^|\s)::/);
  }
  expect(run.summary).not.toMatch(/<img/);
}

interface Mode {
  scenario: HostileScenario;
  inputs: Record<string, string>;
  env?: Record<string, string>;
}

const MODES: Record<string, Mode> = {
  'refresh, answered': { scenario: 'tokens', inputs: { 'export-env': 'true', 'token-file': 'true' } },
  'refresh, refused': { scenario: 'refused', inputs: {} },
  'refresh, redirected': { scenario: 'redirect', inputs: {} },
  'check by introspection': { scenario: 'tokens', inputs: { mode: 'check', 'client-secret': 'client-secret-7f3a9c2e', 'warn-validity': '1d' } },
  'check by refresh, refused': { scenario: 'refused', inputs: { mode: 'check' } },
  'role-arn, answered': { scenario: 'tokens', inputs: { 'role-arn': 'arn:aws:iam:::role/ci', 'sts-endpoint': '' } },
  'role-arn, refused': { scenario: 'sts-refused', inputs: { 'role-arn': 'arn:aws:iam:::role/ci', 'sts-endpoint': '' } },
  'update-secret, GitHub refuses': {
    scenario: 'github-refused',
    inputs: { rotation: 'on', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'github-token': 'github-token-5e8d1b7a' },
  },
  'github-oidc, the runner refuses': { scenario: 'runner-refused', inputs: { 'client-auth': 'github-oidc', 'refresh-token': '' } },
};

const STORED = 'eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJSZWZyZXNoIn0.c3RvcmVk';

async function runAgainst(mode: Mode, text: string): Promise<ActionRun> {
  server.play(mode.scenario, text);
  const before = server.issued.length;
  const inputs = Object.fromEntries(Object.entries(mode.inputs).map(([name, value]) => [name, name === 'sts-endpoint' ? server.url : value]));
  const run = await runAction(
    { 'keycloak-url': server.url, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': STORED, ...inputs },
    {
      debug: true,
      env: {
        GITHUB_API_URL: server.url,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/runner-token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token-0b9c',
      },
    },
  );
  // Whatever the hostile server handed out (tokens, STS keys, the runner's OIDC token) the main step masked.
  const given = [mode.inputs['refresh-token'] ?? STORED, mode.inputs['client-secret'] ?? '', mode.inputs['github-token'] ?? ''].filter((s) => s !== '');
  expectNoLeaks(run, given, { issued: server.issued.slice(before), allowedInEnv: SECRET_OUTPUTS.map((name) => run.outputs[name] ?? '') });
  return run;
}

describe('hostile answers never become workflow commands', () => {
  it.each(Object.entries(MODES))('%s', async (_, mode) => {
    await fc.assert(
      fc.asyncProperty(hostileText, async (text) => {
        expectSafe(await runAgainst(mode, text));
      }),
      { numRuns: 6, examples: [[HOSTILE_PIECES.join('')], [ONE_MIB]] },
    );
  }, 120_000);

  it('says where it put hostile text, made safe, in the one error line', async () => {
    const run = await runAgainst(MODES['refresh, refused'] as Mode, `invalid_grant${HOSTILE_PIECES[0]}${HOSTILE_PIECES[1]}`);
    expect(run.commands.filter((command) => command.name === 'error').map((command) => command.data)).toEqual([
      expect.stringMatching(/^Keycloak refused the refresh \(400 invalid_grant ::error::FORGED error#\u00a0#\[stop-commands\]FORGED: /),
    ]);
    expect(visibleLog(run)).not.toContain('\n::error::FORGED');
  });
});

describe('a gateway that echoes the request into its error', () => {
  it.each(['post', 'basic'])('leaves no piece of a secret in the error line, wherever the cut falls (client-auth %s)', async (clientAuth) => {
    const endpoint = await startFakeEndpoint();
    const clientSecret = 'Qw7 secret~with+Sp4ce/and=9';
    const refreshToken = fakeJwt({ typ: 'Refresh', sub: 'Echo5User' }, 'Echo8Refresh');
    endpoint.respondWith((request, res) =>
      json(res, 400, {
        error: 'invalid_request',
        error_description: `${'x'.repeat(40)} you sent: ${request.form.toString()} with ${request.headers.authorization ?? 'no header'}`,
      }),
    );
    const run = await runAction({ 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'ceph-s3', 'client-secret': clientSecret, 'client-auth': clientAuth, 'refresh-token': refreshToken }, { debug: true });
    await endpoint.close();
    expect(run.exitCode).toBe(1);
    expect(run.commands.find((command) => command.name === 'error')?.data).toMatch(/you sent: grant_type=refresh_token&refresh_token=\*\*\*/);
    const basic = Buffer.from(`ceph-s3:${new URLSearchParams({ s: clientSecret }).toString().slice(2)}`).toString('base64');
    expectNoLeaks(run, [refreshToken, clientSecret, ...(clientAuth === 'basic' ? [basic] : [])]);
  });
});
