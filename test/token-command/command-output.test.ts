// What keycloak-token prints in a later step, read as the runner reads it:
// nothing a server answers becomes a workflow command, no secret the command
// knows is echoed back in its error, and every token it rotates to is masked.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServerResponse } from 'node:http';
import type { FakeEndpoint, RecordedRequest } from '../support/fake-token-endpoint.js';
import { fakeJwt, json, startFakeEndpoint } from '../support/fake-token-endpoint.js';
import type { LaterStep } from '../support/later-step.js';
import { runLaterStep } from '../support/later-step.js';
import { runAction } from '../support/run-action.js';
import type { OutputLine } from '../support/runner-commands.js';
import { parseWorkflowCommands } from '../support/runner-commands.js';

let endpoint: FakeEndpoint;
let issued = 0;
/** What the token endpoint and the STS answer next. */
let keycloak: (request: RecordedRequest, res: ServerResponse) => void;
let sessionToken: () => string;

const stored = fakeJwt({ typ: 'Offline' }, 'Stored0Refresh');
const clientSecret = 'Qw7 secret~with+Sp4ce/and=9';

beforeAll(async () => {
  endpoint = await startFakeEndpoint();
  endpoint.respondWith((request, res) => {
    if (request.form.get('Action') === 'AssumeRoleWithWebIdentity') return sts(res, sessionToken());
    keycloak(request, res);
  });
});
afterAll(() => endpoint.close());
beforeEach(() => {
  issued = 0;
  sessionToken = () => `SessionTok${issued}En0001`;
  keycloak = tokens;
});

function tokens(_: RecordedRequest, res: ServerResponse): void {
  issued++;
  // expires_in 1: every keycloak-token call finds the access token stale and refreshes.
  json(res, 200, { access_token: fakeJwt({ azp: 'ceph-s3', n: issued }, `Access${issued}Y`), refresh_token: fakeJwt({ typ: 'Offline', n: issued }, `Refresh${issued}X`), expires_in: 1, token_type: 'Bearer' });
}

function sts(res: ServerResponse, token: string): void {
  const xml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  // A minute left: botocore's margin is 15 minutes, so every aws-credentials call assumes the role again.
  const expiration = new Date(Date.now() + 60_000).toISOString();
  res.writeHead(200, { 'Content-Type': 'application/xml' }).end(
    `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>TEMPKEYID${issued}</AccessKeyId><SecretAccessKey>temp-secret-key-000${issued}</SecretAccessKey><SessionToken>${xml(token)}</SessionToken><Expiration>${expiration}</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`,
  );
}

const inputs = (extra: Record<string, string> = {}) => ({ 'keycloak-url': endpoint.baseUrl, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': stored, 'keep-fresh': 'true', ...extra });
const withRole = () => inputs({ 'role-to-assume': 'arn:aws:iam:::role/ci', 'sts-endpoint': endpoint.baseUrl });

/** The later step's output as the runner reads it: lines split on \r, \n and \r\n (.NET ReadLine). */
function linesOf(step: LaterStep): OutputLine[] {
  const split = (stream: 'stdout' | 'stderr') => step[stream].split(/\r\n|\r|\n/).map((text) => ({ stream, text }));
  return [...split('stderr'), ...split('stdout')];
}

describe('keycloak-token prints no command a server wrote', { timeout: 60_000 }, () => {
  it('refuses STS credentials with line breaks: aws-credentials prints no forged command, no value, and fails', async () => {
    const forged = 'Fr0ged\n::warning title=forged::FORGED\n::stop-commands::Stop9Token\nrest';
    let step: LaterStep | undefined;
    await runAction(withRole(), {
      betweenSteps: async (main, job) => {
        expect(main.exitCode).toBe(0);
        sessionToken = () => forged;
        step = await runLaterStep(job, 'keycloak-token aws-credentials');
      },
    });
    const result = step as LaterStep;
    const commands = parseWorkflowCommands(linesOf(result));
    expect(commands.map((command) => command.name)).not.toContain('warning');
    expect(commands.map((command) => command.name)).not.toContain('stop-commands');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain('Fr0ged');
    expect(result.stderr).not.toContain('FORGED');
    expect(result.stderr).toMatch(/credentials that are not valid/);
  });

  it('refuses the same credentials in the main step, and never prints them', async () => {
    sessionToken = () => 'Fr0ged\n::warning title=forged::FORGED';
    const run = await runAction(withRole());
    expect(run.exitCode).toBe(1);
    expect(run.commands.map((command) => command.name)).not.toContain('warning');
    expect(run.stdout + run.stderr).not.toContain('Fr0ged');
    expect(run.commands.find((command) => command.name === 'error')?.data).toMatch(/credentials that are not valid/);
  });

  it('escapes a % in a key as the runner expects, so the mask is the value', async () => {
    sessionToken = () => `Pct%0A::warning::FORGED%25${issued}`;
    let step: LaterStep | undefined;
    await runAction(withRole(), {
      betweenSteps: async (main, job) => {
        step = await runLaterStep(job, 'keycloak-token aws-credentials');
      },
    });
    const result = step as LaterStep;
    expect(result.exitCode, result.stderr).toBe(0);
    const printed = (JSON.parse(result.stdout) as { SessionToken: string }).SessionToken;
    const commands = parseWorkflowCommands(linesOf(result));
    expect(commands.map((command) => command.name)).not.toContain('warning');
    expect(commands.filter((command) => command.name === 'add-mask').map((command) => command.data)).toContain(printed);
  });
});

describe('keycloak-token echoes no secret and masks what it rotates to', { timeout: 60_000 }, () => {
  it('leaves no piece of the refresh token or client secret in its error when a gateway echoes the request', async () => {
    let step: LaterStep | undefined;
    let refreshToken = '';
    await runAction(inputs({ 'client-secret': clientSecret }), {
      betweenSteps: async (main, job) => {
        refreshToken = main.outputs['refresh-token'] ?? '';
        keycloak = (request, res) =>
          json(res, 400, { error: 'invalid_request', error_description: `${'x'.repeat(40)} you sent: ${request.form.toString()} with ${request.headers.authorization ?? 'no header'}` });
        step = await runLaterStep(job, 'keycloak-token');
      },
    });
    const result = step as LaterStep;
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/you sent: grant_type=refresh_token&refresh_token=\*\*\*/);
    for (const secret of [refreshToken, clientSecret, new URLSearchParams({ s: clientSecret }).toString().slice(2)]) {
      expect(secret.length).toBeGreaterThan(12);
      for (let i = 0; i + 12 <= secret.length; i++) expect(result.stderr.includes(secret.slice(i, i + 12)), `a piece of a ${secret.length}-character secret`).toBe(false);
    }
  });

  it('masks a refresh token it rotates to on stderr, before anything else', async () => {
    let step: LaterStep | undefined;
    await runAction(inputs(), {
      betweenSteps: async (main, job) => {
        step = await runLaterStep(job, 'keycloak-token');
      },
    });
    const result = step as LaterStep;
    expect(result.exitCode, result.stderr).toBe(0);
    const rotatedTo = fakeJwt({ typ: 'Offline', n: 2 }, 'Refresh2X');
    expect(result.stderr).toBe(`::add-mask::${rotatedTo}\n::add-mask::${result.stdout.trim()}\n`);
  });
});
