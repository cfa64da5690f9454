// `npm run benchmark`: the size and speed targets, measured in one run against
// a real Keycloak and printed, not asserted. Compares one refresh by the action
// with the same POST by a minimal Node script (the budget: at most 1.1×), by curl
// and by the reference Python script (the seed), and the bundle's start-up and
// post step with a bare `node -e 0`.
// `npm run benchmark -- --startup-only` measures the start-up alone (no Keycloak, no Docker).
// Ends with Keycloak's container ready time, median of BENCH_READY_RUNS (5) starts per
// version (scripts/keycloak-ready-time.ts; the benchmark's own server is the first start).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Login } from '../test/integration/support/keycloak-api.js';
import { KeycloakApi } from '../test/integration/support/keycloak-api.js';
import { prepareTestEnvironment } from '../test/integration/support/environment.js';
import { COMPAT_VERSION, DEFAULT_VERSION, startKeycloak } from '../test/integration/support/keycloak-container.js';
import { ACTION, actionDefaults } from '../test/support/action-definition.js';
import { NODE_24, actionFolder, runAction } from '../test/support/run-action.js';
import { readyTimeReport } from './keycloak-ready-time.js';

const ROOT = resolve(import.meta.dirname, '..');
const SEED = resolve(ROOT, '../shared/seeds/000_e6e2c2be66023d0e.txt');
/** Every action.yml default as INPUT_*, as the runner passes them. */
const defaultInputs = () => Object.fromEntries(Object.entries(actionDefaults()).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]));

/** The bundle as the runner runs it: from the action folder, runs.main. */
const BUNDLE = join(actionFolder(), ACTION.runs.main);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const READY_RUNS = Number(process.env.BENCH_READY_RUNS ?? 5);
// Start-up runs take tens of milliseconds and are noisy on a shared machine: more rounds.
const STARTUP_ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 60);
const REFRESH_TARGET = 1.1;

/** The floor for one refresh in Node: the same form POST with node:http and nothing else. */
const MINIMAL_POST = `import { request } from 'node:http';
const body = new URLSearchParams({ grant_type: 'refresh_token', client_id: process.env.CLIENT_ID, refresh_token: process.env.REFRESH_TOKEN }).toString();
const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
request(process.env.TOKEN_URL, { method: 'POST', headers, agent: false }, (res) => {
  let text = '';
  res.on('data', (chunk) => (text += chunk));
  res.on('end', () => {
    if (res.statusCode !== 200 || !JSON.parse(text).access_token) process.exitCode = 1;
  });
}).end(body);
`;
const SIZE_TARGET = 650 * 1024;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const ms = (value: number) => `${value.toFixed(1)} ms`;

function timeCommand(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { env, stdio: 'ignore' });
  if (result.error) throw result.error;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Runs every contender once per round, interleaved, and returns the medians. */
function race(contenders: Record<string, () => number>, rounds = ROUNDS): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (const run of Object.values(contenders)) run(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders)) times[name]?.push(run());
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

/**
 * The bundle's start-up against a bare `node -e 0` under the same Node, in three
 * runs that make no request: the main step as the runner starts it (its command
 * files and RUNNER_TEMP set) with only the action.yml defaults, so it saves its state and fails on
 * input validation (the headline); the same without the command files (what this
 * benchmark measured before: state and error go to stdout); and the post step
 * with nothing to delete. Prints the ratios.
 */
function startup(): void {
  const work = mkdtempSync(join(tmpdir(), 'bench-startup-'));
  const files = Object.fromEntries(['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV', 'GITHUB_STEP_SUMMARY'].map((name) => [name, join(work, name)]));
  for (const file of Object.values(files)) writeFileSync(file, '');
  const bare = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' };
  const runner = { ...bare, ...files, ...defaultInputs(), RUNNER_TEMP: work, GITHUB_ACTIONS: 'true' };
  const runs: Record<string, { args: string[]; env: NodeJS.ProcessEnv }> = {
    'node -e 0': { args: ['-e', '0'], env: bare },
    'main step, defaults only': { args: [BUNDLE], env: runner },
    'same, no command files': { args: [BUNDLE], env: bare },
    'post step': { args: [BUNDLE], env: { ...runner, 'STATE_is-post': 'true' } }, // the state main.ts saves
  };
  const nodes: [string, string][] = [[`node 24 (${nodeVersion(NODE_24)})`, NODE_24]];
  const contenders: Record<string, () => number> = {};
  for (const [label, node] of nodes) {
    for (const [what, { args, env }] of Object.entries(runs)) contenders[`${label}: ${what}`] = () => timeCommand(node, args, env);
  }
  const times = race(contenders, STARTUP_ROUNDS);
  const time = (label: string, what: string) => times[`${label}: ${what}`] ?? Number.NaN;
  const ratio = (label: string, what: string) => time(label, what) / time(label, 'node -e 0');
  console.log(`\nstart-up, ${STARTUP_ROUNDS} interleaved rounds, medians (no request is made: the main step fails on`);
  console.log('input validation after saving its state; the post step has nothing to delete)');
  for (const [label] of nodes) {
    console.log(`  ${label}`);
    for (const what of Object.keys(runs)) console.log(`    ${what.padEnd(26)} ${ms(time(label, what)).padStart(10)}   ${ratio(label, what).toFixed(2)}×`);
  }
  const [node24] = nodes[0] ?? [''];
  console.log(`  vs node -e 0 on ${node24}: main step ${ratio(node24, 'main step, defaults only').toFixed(2)}×, post step ${ratio(node24, 'post step').toFixed(2)}× (reported; the budget is the refresh's)`);
}

function nodeVersion(node: string): string {
  return spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
}

/** Every file below dir, the token command's bundle in dist/token-command/ included. */
function dirSize(dir: string): number {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).reduce((sum, name) => {
    const stats = statSync(join(dir, name));
    return stats.isFile() ? sum + stats.size : sum;
  }, 0);
}

/** The seed's Python with its constants pointed at the local server and the token read from the environment. */
function seedScript(baseUrl: string): string | undefined {
  if (!existsSync(SEED)) return undefined;
  const code = /```python\n([\s\S]*?)```/.exec(readFileSync(SEED, 'utf8'))?.[1];
  if (code === undefined) return undefined;
  const adapted = code
    .replace(/^KEYCLOAK = .*$/m, `KEYCLOAK = ${JSON.stringify(baseUrl)}`)
    .replace(/^REALM = .*$/m, 'REALM = "test"')
    .replace(/^CLIENT_ID = .*$/m, 'CLIENT_ID = "ceph-s3"')
    .replace(/old_refresh = ".*"/, 'old_refresh = __import__("os").environ["REFRESH_TOKEN"]');
  const file = join(mkdtempSync(join(tmpdir(), 'seed-')), 'seed.py');
  writeFileSync(file, adapted);
  return file;
}

/** A loopback proxy in front of Keycloak that counts the requests passing through. */
async function countingProxy(target: string) {
  const upstream = new URL(target);
  let count = 0;
  const server = createServer((req, res) => {
    count++;
    const forward = request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, count: () => count, close: () => server.close() };
}

/**
 * keep-fresh's keycloak-token as a later step runs it: a call served from the
 * session (target: a bare Node start-up plus 25 ms) and a call that refreshes
 * (target: that plus one Keycloak round trip, which curl's refresh stands for).
 */
async function tokenCommand(api: KeycloakApi, login: Login, curlMs: number): Promise<void> {
  const { refresh_token: refreshToken } = await api.login(login);
  await runAction({ 'keycloak-url': api.baseUrl, realm: login.realm, 'client-id': login.clientId, 'refresh-token': refreshToken, 'keep-fresh': 'true' }, {
    betweenSteps: async (main, job) => {
      const command = main.outputs['token-command'] ?? '';
      const sessionFile = join(main.state['keep-fresh'] ?? '', 'session.json');
      const staled = () => {
        const session = JSON.parse(readFileSync(sessionFile, 'utf8')) as { accessExpiresAt?: number };
        writeFileSync(sessionFile, JSON.stringify({ ...session, accessExpiresAt: 0 }));
      };
      const times = race({
        'node -e 0 (node 24)': () => timeCommand(NODE_24, ['-e', '0'], job.laterStepEnv),
        'keycloak-token, from the session': () => timeCommand(command, [], job.laterStepEnv),
        'keycloak-token, refreshing': () => {
          staled();
          return timeCommand(command, [], job.laterStepEnv);
        },
      });
      const bare = times['node -e 0 (node 24)'] ?? Number.NaN;
      const cached = times['keycloak-token, from the session'] ?? Number.NaN;
      const refreshing = times['keycloak-token, refreshing'] ?? Number.NaN;
      console.log(`\nkeep-fresh's keycloak-token, ${ROUNDS} interleaved rounds, medians`);
      console.log(`  node -e 0                          ${ms(bare).padStart(10)}`);
      console.log(`  from the session                   ${ms(cached).padStart(10)}   node + ${ms(cached - bare)} (target ≤ node + 25 ms)`);
      console.log(`  refreshing                         ${ms(refreshing).padStart(10)}   from the session + ${ms(refreshing - cached)} (one Keycloak round trip; curl's whole refresh: ${ms(curlMs)})`);
    },
  });
}

async function main(): Promise<void> {
  if (process.argv.includes('--startup-only')) {
    startup();
    return;
  }
  await prepareTestEnvironment({ keycloakVersions: [DEFAULT_VERSION, COMPAT_VERSION], ceph: false });
  const keycloak = await startKeycloak();
  const proxy = await countingProxy(keycloak.baseUrl);
  try {
    // The request count goes through the proxy (logged in through it too, so the
    // token's issuer matches); the timings go straight to Keycloak, because
    // spawnSync would block the proxy living in this process.
    const viaProxy = new KeycloakApi(proxy.url);
    const alice = { realm: 'test', clientId: 'ceph-s3', username: 'alice', password: 'alice-password-1' };
    const proxiedToken = (await viaProxy.login(alice)).refresh_token;
    const before = proxy.count();
    let afterMain = before;
    const probe = await runAction(
      { 'keycloak-url': proxy.url, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': proxiedToken },
      { betweenSteps: async () => void (afterMain = proxy.count()) },
    );
    // The refresh is the main step's; the post step's revocation (revoke-on-post) is counted apart.
    const requestsPerRefresh = afterMain - before;
    const postRequests = proxy.count() - afterMain;
    if (probe.exitCode !== 0) throw new Error(`the action failed: ${probe.stdout}`);

    const api = keycloak.api;
    const { refresh_token: refreshToken } = await api.login(alice);
    const tokenUrl = api.tokenUrl('test');
    const inputEnv = {
      ...process.env,
      ...defaultInputs(),
      'INPUT_KEYCLOAK-URL': api.baseUrl,
      INPUT_REALM: 'test',
      'INPUT_CLIENT-ID': 'ceph-s3',
      'INPUT_REFRESH-TOKEN': refreshToken,
      GITHUB_OUTPUT: join(mkdtempSync(join(tmpdir(), 'bench-')), 'output'),
    };

    const seed = seedScript(api.baseUrl);
    const minimalPost = join(mkdtempSync(join(tmpdir(), 'bench-post-')), 'post.mjs');
    writeFileSync(minimalPost, MINIMAL_POST);
    const postEnv = { ...process.env, TOKEN_URL: tokenUrl, CLIENT_ID: 'ceph-s3', REFRESH_TOKEN: refreshToken };
    const contenders: Record<string, () => number> = {
      'minimal node:http POST (node 24)': () => timeCommand(NODE_24, [minimalPost], postEnv),
      curl: () => timeCommand('curl', ['-fsS', '-o', '/dev/null', '--data-urlencode', 'grant_type=refresh_token', '--data-urlencode', 'client_id=ceph-s3', '--data-urlencode', `refresh_token=${refreshToken}`, tokenUrl]),
      'action (node 24)': () => timeCommand(NODE_24, [BUNDLE], inputEnv),
    };
    if (seed) contenders['seed script (python3 + requests)'] = () => timeCommand('python3', [seed], { ...process.env, REFRESH_TOKEN: refreshToken });
    const refresh = race(contenders);

    const size = dirSize(resolve(ROOT, 'dist'));
    const curl = refresh.curl ?? Number.NaN;
    console.log(`\nKeycloak ${DEFAULT_VERSION}, ${ROUNDS} interleaved rounds, medians\n`);
    console.log('one refresh (process start to exit)');
    for (const [name, value] of Object.entries(refresh)) console.log(`  ${name.padEnd(34)} ${ms(value).padStart(10)}   ${(value / curl).toFixed(2)}x curl`);
    if (!seed) console.log(`  seed script: not found at ${SEED}`);
    console.log(`  HTTP requests per refresh by the action: ${requestsPerRefresh} (target 1); the post step's revocation: ${postRequests}`);
    const floor = refresh['minimal node:http POST (node 24)'] ?? Number.NaN;
    const ratio = (refresh['action (node 24)'] ?? Number.NaN) / floor;
    console.log(`  action vs the minimal Node POST, both on node 24: ${ratio.toFixed(2)}× (target ≤ ${REFRESH_TARGET}×)`);
    await tokenCommand(api, alice, refresh.curl ?? Number.NaN);
    startup();
    console.log(`\ndist/ size: ${(size / 1024).toFixed(1)} kB (target < ${SIZE_TARGET / 1024} kB)`);
  } finally {
    proxy.close();
    await keycloak.stop();
  }
  if (READY_RUNS > 0) await readyTimeReport([DEFAULT_VERSION, COMPAT_VERSION], READY_RUNS, { [DEFAULT_VERSION]: [keycloak.startupMs] });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
