// `npm run benchmark`: the size and speed targets, measured in one run against
// a real Keycloak and printed, not asserted. Compares one refresh by the action
// with the same POST by curl and by the reference Python script (the seed), and
// the bundle's start-up with a bare `node -e 0`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KeycloakApi } from '../test/integration/support/keycloak-api.js';
import { prepareKeycloakEnvironment } from '../test/integration/support/environment.js';
import { DEFAULT_VERSION, startKeycloak } from '../test/integration/support/keycloak-container.js';
import { BUNDLE, NODE_24, nodeBinary, runAction } from '../test/support/run-action.js';

const ROOT = resolve(import.meta.dirname, '..');
const SEED = resolve(ROOT, '../shared/seeds/000_e6e2c2be66023d0e.txt');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
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
function race(contenders: Record<string, () => number>): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (const run of Object.values(contenders)) run(); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(contenders)) times[name]?.push(run());
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

function dirSize(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
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

async function main(): Promise<void> {
  prepareKeycloakEnvironment([DEFAULT_VERSION]);
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
    const probe = await runAction({ 'keycloak-url': proxy.url, realm: 'test', 'client-id': 'ceph-s3', 'refresh-token': proxiedToken });
    const requestsPerRefresh = proxy.count() - before;
    if (probe.exitCode !== 0) throw new Error(`the action failed: ${probe.stdout}`);

    const api = keycloak.api;
    const { refresh_token: refreshToken } = await api.login(alice);
    const tokenUrl = api.tokenUrl('test');
    const inputEnv = {
      ...process.env,
      'INPUT_KEYCLOAK-URL': api.baseUrl,
      INPUT_REALM: 'test',
      'INPUT_CLIENT-ID': 'ceph-s3',
      'INPUT_REFRESH-TOKEN': refreshToken,
      GITHUB_OUTPUT: join(mkdtempSync(join(tmpdir(), 'bench-')), 'output'),
    };

    const seed = seedScript(api.baseUrl);
    const contenders: Record<string, () => number> = {
      curl: () => timeCommand('curl', ['-fsS', '-o', '/dev/null', '--data-urlencode', 'grant_type=refresh_token', '--data-urlencode', 'client_id=ceph-s3', '--data-urlencode', `refresh_token=${refreshToken}`, tokenUrl]),
      'action (machine node)': () => timeCommand(nodeBinary(), [BUNDLE], inputEnv),
      'action (node 24)': () => timeCommand(NODE_24, [BUNDLE], inputEnv),
    };
    if (seed) contenders['seed script (python3 + requests)'] = () => timeCommand('python3', [seed], { ...process.env, REFRESH_TOKEN: refreshToken });
    const refresh = race(contenders);

    const bare = { ...process.env, GITHUB_OUTPUT: '' };
    const startup = race({
      'node -e 0 (machine)': () => timeCommand(nodeBinary(), ['-e', '0'], bare),
      'bundle start (machine)': () => timeCommand(nodeBinary(), [BUNDLE], bare),
      'node -e 0 (node 24)': () => timeCommand(NODE_24, ['-e', '0'], bare),
      'bundle start (node 24)': () => timeCommand(NODE_24, [BUNDLE], bare),
    });

    const size = dirSize(resolve(ROOT, 'dist'));
    const curl = refresh.curl ?? Number.NaN;
    console.log(`\nKeycloak ${DEFAULT_VERSION}, ${ROUNDS} interleaved rounds, medians\n`);
    console.log('one refresh (process start to exit)');
    for (const [name, value] of Object.entries(refresh)) console.log(`  ${name.padEnd(34)} ${ms(value).padStart(10)}   ${(value / curl).toFixed(2)}x curl`);
    if (!seed) console.log(`  seed script: not found at ${SEED}`);
    console.log(`  HTTP requests per refresh by the action: ${requestsPerRefresh} (target 1)`);
    console.log('\nstart-up (bundle with no inputs: exits on input validation, no network)');
    for (const [name, value] of Object.entries(startup)) console.log(`  ${name.padEnd(34)} ${ms(value).padStart(10)}`);
    const ratio = (bundle: string, node: string) => ((startup[bundle] ?? Number.NaN) / (startup[node] ?? Number.NaN)).toFixed(2);
    console.log(`  ratio machine node: ${ratio('bundle start (machine)', 'node -e 0 (machine)')}x, node 24: ${ratio('bundle start (node 24)', 'node -e 0 (node 24)')}x (target < 2x)`);
    console.log(`\ndist/ size: ${(size / 1024).toFixed(1)} kB (target < ${SIZE_TARGET / 1024} kB)`);
    console.log(`Keycloak container start to ready: ${(keycloak.startupMs / 1000).toFixed(1)} s`);
  } finally {
    proxy.close();
    await keycloak.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
