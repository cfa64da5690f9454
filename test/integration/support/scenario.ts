// Shared steps of the real-Keycloak scenarios: log in for a starting token, run
// the committed bundle with it, and hold every run to the leak check.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { SECRET_OUTPUTS, expectNoLeaks, visibleLog } from '../../support/leak-check.js';
import type { Issued } from '../../support/leak-check.js';
import type { StepFailureKind } from '../../../src/failure.js';
import type { ActionRun, RunOptions } from '../../support/run-action.js';
import { runAction } from '../../support/run-action.js';
import type { FakeGitHubOidc, JobClaims } from './fake-github-oidc.js';
import type { KeycloakApi, Login, Tokens } from './keycloak-api.js';

export const CONFIDENTIAL = { clientId: 'ci-confidential', clientSecret: 'confidential-client-secret-1' };

export function user(name: string, realm = 'test', clientId = 'ceph-s3'): Login {
  return { realm, clientId, username: name, password: `${name}-password-1` };
}

/** Past the short clients' lifespans in the test realm (3 to 4 s), with a margin. */
export const SHORT_TOKEN_DEAD_AFTER_MS = 5_500;

/**
 * Logs in now and hands the tokens over once they are `ms` old. Called when a file is
 * collected, it lets a token expire while the file's other tests run instead of after them.
 */
export function loginAndAge(api: KeycloakApi, login: Login, ms = SHORT_TOKEN_DEAD_AFTER_MS): Promise<Tokens> {
  const aged = api.login(login).then(async (tokens) => {
    await sleep(ms);
    return tokens;
  });
  // The test awaits it later; until then a failed login must not count as unhandled.
  aged.catch(() => undefined);
  return aged;
}

export interface ScenarioRun extends ActionRun {
  /** Every secret this scenario handled: the leak check's list. */
  secrets: string[];
}

/**
 * Runs the action with `inputs` on top of the login's realm and client, with
 * step debug on, then applies the leak check to everything the run wrote.
 */
export async function runScenario(
  api: KeycloakApi,
  login: Login,
  tokens: Pick<Tokens, 'refresh_token'>,
  inputs: Record<string, string> = {},
  options: RunOptions & {
    allowEnvSecrets?: boolean;
    /** Secrets handed to the action outside its inputs (e.g. OIDC tokens), read after the run: each must be masked. */
    alsoMasked?: () => string[];
    /** Secrets the action never receives: nothing may print them. */
    neverSeen?: () => string[];
    /** What fake servers issued during the job (leak-check.ts `issued`), read after the run. */
    issued?: () => Issued[];
  } = {},
): Promise<ScenarioRun> {
  const run = await runAction(
    {
      'keycloak-url': api.baseUrl,
      realm: login.realm,
      'client-id': login.clientId,
      'client-secret': login.clientSecret ?? '',
      'refresh-token': tokens.refresh_token,
      // Most scenarios prove their tokens work after the run (userinfo, a second run with the
      // new refresh token): off unless a test asks for it (revoke.test.ts proves revocation).
      'revoke-on-post': 'false',
      ...inputs,
    },
    // Step debug on: the leak check then covers every ::debug:: line as well.
    { ...options, debug: true },
  );
  const returned = SECRET_OUTPUTS.map((name) => run.outputs[name] ?? '');
  const given = [tokens.refresh_token, inputs['client-secret'] ?? login.clientSecret ?? '', inputs['password'] ?? '', inputs['update-secret-token'] ?? ''];
  const secrets = [...given, ...returned, ...(options.alsoMasked?.() ?? [])].filter((s) => s !== '');
  // Secrets the action never received (the password, a secret the inputs replaced)
  // have no mask line, and must not appear at all.
  const unseenSecrets = [login.password, login.clientSecret ?? '', ...(options.neverSeen?.() ?? [])];
  for (const unseen of unseenSecrets.filter((s) => s !== '' && !secrets.includes(s))) {
    expect(visibleLog(run).includes(unseen), 'the log contains a secret the action never received').toBe(false);
  }
  expectNoLeaks(run, secrets, { allowedInEnv: options.allowEnvSecrets ? returned : [], issued: options.issued?.() ?? [] });
  return { ...run, secrets };
}

/**
 * Runs the action with client-auth: github-oidc as a job with `permissions:
 * id-token: write` whose OIDC tokens carry `claims`; the tokens the runner
 * handed out in this run must be masked, all others never seen.
 */
export async function runJobScenario(
  api: KeycloakApi,
  github: FakeGitHubOidc,
  login: Login,
  tokens: Pick<Tokens, 'refresh_token'>,
  inputs: Record<string, string> = {},
  claims: Partial<JobClaims> = {},
  options: Pick<RunOptions, 'betweenSteps'> = {},
): Promise<ScenarioRun> {
  const before = github.handedOut.length;
  const issuedBefore = github.issued.length;
  // Tokens that later steps got (keep-fresh's command) were never in this step's log.
  let afterMain: number | undefined;
  const laterSteps = options.betweenSteps;
  const betweenSteps: RunOptions['betweenSteps'] = laterSteps && (async (main, job) => {
    afterMain = github.handedOut.length;
    await laterSteps(main, job);
  });
  return runScenario(api, login, tokens, { 'client-auth': 'github-oidc', ...inputs }, {
    betweenSteps,
    env: github.runnerEnv(claims),
    alsoMasked: () => github.handedOut.slice(before, afterMain),
    neverSeen: () => [...github.handedOut.slice(0, before), ...github.unseen],
    // OIDC tokens keycloak-token fetched in later steps: masked before any line shows them.
    issued: () => github.issued.slice(issuedBefore),
  });
}

/** The single ::error:: line of a failed run. */
export function errorLine(run: ActionRun): string {
  const lines = run.commands.filter((command) => command.name === 'error').map((command) => command.line);
  expect(lines, visibleLog(run)).toHaveLength(1);
  return lines[0] as string;
}

/** Exit code 1, one error line, that failure-kind, and no outputs but `outputs` (check mode sets its verdict first). */
export function expectFailure(run: ActionRun, kind: StepFailureKind, message: RegExp, outputs: Record<string, string> = {}): void {
  expect(run.exitCode, visibleLog(run)).toBe(1);
  expect(errorLine(run)).toMatch(message);
  // failure-kind is always set, before the step fails.
  expect(run.outputs['failure-kind']).toBe(kind);
  if (Object.keys(outputs).length === 0) expect(run.outputs).toEqual({ 'failure-kind': kind });
  else expect(run.outputs).toMatchObject(outputs);
}
