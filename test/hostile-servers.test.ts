// Property: whatever a hostile Keycloak, RGW, GitHub API or runner endpoint puts
// in any field of its answers (line breaks, `::`, `##[`, HTML, 1 MiB), also
// inside the tokens and STS keys, no line the action writes, in any mode, main
// or post step, nor any line keycloak-token writes in a later step, is a
// workflow command it did not mean to write, and no output or summary cell
// carries the text raw.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostileOptions, HostileScenario, HostileServer } from './support/hostile-server.js';
import { FORGED, HOSTILE_PIECES, startHostileServer } from './support/hostile-server.js';
import { fakeJwt, json, startFakeEndpoint } from './support/fake-token-endpoint.js';
import type { LaterStep } from './support/later-step.js';
import { runLaterStep } from './support/later-step.js';
import { SECRET_OUTPUTS, expectNoLeaks, visibleLog } from './support/leak-check.js';
import type { ActionRun } from './support/run-action.js';
import { runAction } from './support/run-action.js';
import type { OutputLine } from './support/runner-commands.js';
import { parseWorkflowCommands } from './support/runner-commands.js';

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

/**
 * What the runner would take from a step: only the commands the action writes
 * itself. Its lines are split again at a lone \r, where .NET's ReadLine ends a
 * line too.
 */
function expectOnlyMeantCommands(step: { lines: OutputLine[] }): void {
  const lines = step.lines.flatMap(({ stream, text }) => text.split('\r').map((piece) => ({ stream, text: piece })));
  const commands = parseWorkflowCommands(lines);
  for (const command of commands) {
    expect(command.syntax, `a legacy command: ${command.line.slice(0, 200)}`).toBe('v2');
    expect(ALLOWED_COMMANDS.has(command.name), `a ${command.name} command`).toBe(true);
    expect(command.data.trimStart().startsWith(FORGED), `a forged ${command.name}: ${command.data.slice(0, 200)}`).toBe(false);
  }
  expect(commands.filter((command) => command.name === 'error').length).toBeLessThanOrEqual(1);
  for (const { text } of lines) expect(text.includes('##['), `a line with ##[: ${text.slice(0, 200)}`).toBe(false);
}

/** A later step's stderr and stdout as the runner reads them. */
function linesOf(step: LaterStep): OutputLine[] {
  return (['stderr', 'stdout'] as const).flatMap((stream) => step[stream].split('\n').map((text) => ({ stream, text })));
}

/** What keycloak-token hands out: nothing, or one token (JSON credentials) on one line. */
function expectCleanStdout(script: string, step: LaterStep): void {
  if (step.exitCode !== 0) {
    expect(step.stdout).toBe('');
    return;
  }
  const out = step.stdout.replace(/\n$/, '');
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  expect(out, `${script} printed more than one line`).not.toMatch(/[\u0000-\u001f\u007f]/);
  if (script.endsWith('aws-credentials')) {
    const credentials = JSON.parse(out) as Record<string, string>;
    for (const field of ['AccessKeyId', 'SecretAccessKey', 'SessionToken']) expect(credentials[field]).toMatch(/^[\x21-\x7e]+$/);
  } else expect(out).toMatch(/^[\x21-\x7e]+$/);
}

function expectSafe({ run, later }: Played): void {
  for (const step of [run, run.post]) expectOnlyMeantCommands(step);
  for (const [script, step] of later) {
    expectOnlyMeantCommands({ lines: linesOf(step) });
    expectCleanStdout(script, step);
  }
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
  /** For the main step; the property's inTokens joins them unless there are later steps. */
  options?: HostileOptions;
  /** Later steps that run keycloak-token while the server plays this, with the property's text and inTokens. */
  between?: { scenario: HostileScenario; options?: HostileOptions; scripts: string[] };
  /** Where the property may put the text besides the fields: inside the tokens, the STS keys, or both (the default). */
  inside?: 'tokens' | 'keys';
  /** What the mode must have done with clean tokens and keys (the text only in other fields): proof that it ran the path it names. */
  expectClean?: (played: Played) => void;
}

const laterExitCodes = ({ later }: Played) => later.map(([, step]) => step.exitCode);
const postLog = ({ run }: Played) => run.post.lines.map((line) => line.text).join('\n');

const ROLE = { 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': '' };
const STORE = { 'revoke-refresh-token': 'true', 'update-secret': 'KEYCLOAK_REFRESH_TOKEN', 'update-secret-token': 'github-token-5e8d1b7a' };
/** Tokens that live 1 s and credentials with a minute left: keycloak-token refreshes and assumes the role on every call. */
const SHORT: HostileOptions = { expiresIn: 1, credentialsExpireIn: 60 };
const BOTH = ['keycloak-token', 'keycloak-token aws-credentials'];

const MODES: Record<string, Mode> = {
  'refresh, answered': { scenario: 'tokens', inputs: { 'export-env': 'true', 'token-file': 'true' } },
  'refresh, refused': { scenario: 'refused', inputs: {} },
  'refresh, redirected': { scenario: 'redirect', inputs: {} },
  'check by introspection': { scenario: 'tokens', inputs: { mode: 'check', 'client-secret': 'client-secret-7f3a9c2e', 'warn-validity': '1d' } },
  'check by refresh, refused': { scenario: 'refused', inputs: { mode: 'check' } },
  'role-to-assume, answered': { scenario: 'tokens', inputs: ROLE },
  'role-to-assume, refused': { scenario: 'sts-refused', inputs: ROLE },
  'update-secret, GitHub refuses': { scenario: 'github-refused', inputs: STORE },
  'github-oidc, the runner refuses': { scenario: 'runner-refused', inputs: { 'client-auth': 'github-oidc', 'refresh-token': '' } },
  'github-oidc, answered': { scenario: 'tokens', inputs: { 'client-auth': 'github-oidc', 'refresh-token': '' } },
  'audience exchange, answered': { scenario: 'tokens', inputs: { 'exchange-audience': 'ceph-s3', 'client-secret': 'client-secret-7f3a9c2e' } },
  'audience exchange, refused': { scenario: 'exchange-refused', inputs: { 'exchange-audience': 'ceph-s3', 'client-secret': 'client-secret-7f3a9c2e' } },
  'post step revocation, refused': {
    scenario: 'revoke-refused',
    inputs: { 'exchange-audience': 'ceph-s3', 'client-secret': 'client-secret-7f3a9c2e' },
    expectClean: ({ run }) => expect(run.post.commands.filter((command) => command.name === 'warning')).toHaveLength(1),
  },
  'fallback: password': { scenario: 'fallback', inputs: { fallback: 'password', username: 'ci-user', password: 'Passw0rd-9c1e-hostile' } },
  'fallback: client-credentials': { scenario: 'fallback', inputs: { fallback: 'client-credentials', 'client-secret': 'client-secret-7f3a9c2e' } },
  'keycloak-token and aws-credentials, answered': {
    scenario: 'tokens',
    options: SHORT,
    inputs: { 'keep-fresh': 'true', ...ROLE },
    between: { scenario: 'tokens', options: SHORT, scripts: BOTH },
    expectClean: (played) => expect(laterExitCodes(played)).toEqual([0, 0]),
  },
  'keycloak-token and aws-credentials, Keycloak refuses': {
    scenario: 'tokens',
    options: SHORT,
    inputs: { 'keep-fresh': 'true', ...ROLE },
    between: { scenario: 'refused', options: SHORT, scripts: BOTH },
    expectClean: (played) => expect(laterExitCodes(played)).toEqual([1, 1]),
  },
  'keycloak-token aws-credentials, the text inside the STS keys': {
    scenario: 'tokens',
    options: SHORT,
    inputs: { 'keep-fresh': 'true', ...ROLE },
    between: { scenario: 'tokens', options: SHORT, scripts: ['keycloak-token aws-credentials'] },
    inside: 'keys',
    expectClean: (played) => expect(laterExitCodes(played)).toEqual([0]),
  },
  'keycloak-token aws-credentials, RGW refuses': {
    scenario: 'tokens',
    options: SHORT,
    inputs: { 'keep-fresh': 'true', ...ROLE },
    between: { scenario: 'sts-refused', options: SHORT, scripts: ['keycloak-token aws-credentials'] },
    expectClean: (played) => expect(laterExitCodes(played)).toEqual([1]),
  },
  'keycloak-token with github-oidc, answered': {
    scenario: 'tokens',
    options: SHORT,
    inputs: { 'keep-fresh': 'true', 'client-auth': 'github-oidc', 'refresh-token': '' },
    between: { scenario: 'tokens', options: SHORT, scripts: ['keycloak-token'] },
    expectClean: (played) => expect(laterExitCodes(played)).toEqual([0]),
  },
  'keep-fresh post step, update-secret stores': {
    scenario: 'tokens',
    options: { ...SHORT, githubStores: true },
    inputs: { 'keep-fresh': 'true', ...STORE },
    between: { scenario: 'tokens', options: { ...SHORT, githubStores: true }, scripts: ['keycloak-token'] },
    expectClean: (played) => expect(postLog(played)).toMatch(/Stored the new refresh token in secret KEYCLOAK_REFRESH_TOKEN/),
  },
  'keep-fresh post step, update-secret refused': {
    scenario: 'tokens',
    options: { ...SHORT, githubStores: true },
    inputs: { 'keep-fresh': 'true', ...STORE },
    between: { scenario: 'github-refused', options: SHORT, scripts: ['keycloak-token'] },
    expectClean: (played) => expect(played.run.post.exitCode).toBe(1),
  },
};

const STORED = 'eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJSZWZyZXNoIn0.c3RvcmVk';

interface Played {
  run: ActionRun;
  /** Each later step's script and what it wrote. */
  later: [string, LaterStep][];
}

async function runAgainst(mode: Mode, text: string, hostileInside = false): Promise<Played> {
  const inside = { inTokens: hostileInside && mode.inside !== 'keys', inKeys: hostileInside && mode.inside !== 'tokens' };
  // With later steps the main step sets keep-fresh up from clean tokens and keys (tokens with 1 MiB of claims
  // are refused, rightly, by the main step's own modes); the later steps get all of the text, inside too.
  if (mode.between === undefined) server.play(mode.scenario, text, { ...mode.options, ...inside });
  else server.play(mode.scenario, text.slice(0, 4096), mode.options);
  const before = server.issued.length;
  const inputs = Object.fromEntries(Object.entries(mode.inputs).map(([name, value]) => [name, name === 'sts-endpoint' ? server.url : value]));
  const later: [string, LaterStep][] = [];
  const run = await runAction(
    { 'keycloak-url': server.url, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': STORED, ...inputs },
    {
      debug: true,
      env: {
        GITHUB_API_URL: server.url,
        ACTIONS_ID_TOKEN_REQUEST_URL: `${server.url}/runner-token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token-0b9c',
      },
      betweenSteps:
        mode.between &&
        (async (main, job) => {
          const { between } = mode;
          if (between === undefined) return;
          expect(main.exitCode, 'the main step sets keep-fresh up').toBe(0);
          server.play(between.scenario, text, { ...between.options, ...inside });
          for (const script of between.scripts) later.push([script, await runLaterStep(job, script)]);
        }),
    },
  );
  // Whatever the hostile server handed out (tokens, STS keys, the runner's OIDC token) was masked before any
  // line showed it. Not with the text inside the tokens: the same text is in the (safe) error lines too.
  if (!hostileInside) {
    const given = [mode.inputs['refresh-token'] ?? STORED, mode.inputs['client-secret'] ?? '', mode.inputs['update-secret-token'] ?? ''].filter((s) => s !== '');
    expectNoLeaks(run, given, { issued: server.issued.slice(before), allowedInEnv: SECRET_OUTPUTS.map((name) => run.outputs[name] ?? '') });
  }
  return { run, later };
}

describe('hostile answers never become workflow commands', () => {
  it.each(Object.entries(MODES))('%s', async (_, mode) => {
    await fc.assert(
      fc.asyncProperty(hostileText, fc.boolean(), async (text, hostileInside) => {
        const played = await runAgainst(mode, text, hostileInside);
        expectSafe(played);
        // 1 MiB of claims makes a token no one takes, rightly: the path a mode names is proven with the others.
        if (!hostileInside && text.length <= 4096) mode.expectClean?.(played);
      }),
      { numRuns: 6, examples: [[HOSTILE_PIECES.join(''), false], [HOSTILE_PIECES.join(''), true], [ONE_MIB, false]] },
    );
  }, 120_000);

  it('says where it put hostile text, made safe, in the one error line', async () => {
    const { run } = await runAgainst(MODES['refresh, refused'] as Mode, `invalid_grant${HOSTILE_PIECES[0]}${HOSTILE_PIECES[1]}`);
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
