// `npm run keycloak:ready-time [-- VERSION...]`: how long a Keycloak test container
// takes from creation to /health/ready, started exactly as the suite starts one
// (startKeycloak: same image, command line, environment and realm files), as the
// median of 5 starts per version (READY_RUNS). The versions take turns, so load from
// other work on the machine falls on all of them; the load averages are printed with
// the figures. Default versions: the two the suite runs. Also part of `npm run benchmark`.
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { prepareTestEnvironment } from '../test/integration/support/environment.js';
import { COMPAT_VERSION, DEFAULT_VERSION, keycloakImage, startKeycloak } from '../test/integration/support/keycloak-container.js';

export const READY_TARGET_MS = 10_000;

export interface ReadyTime {
  version: string;
  image: string;
  /** Milliseconds from container creation to /health/ready, in the order measured. */
  runs: number[];
  median: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

/**
 * Starts and kills `runs` containers per version, the versions in turn (reversed every
 * other round). `measured` holds start-up times already taken the same way (e.g. the
 * benchmark's own server): they count towards `runs`.
 */
export async function measureReadyTimes(versions: string[], runs: number, measured: Record<string, number[]> = {}): Promise<ReadyTime[]> {
  const times = new Map(versions.map((version) => [version, [...(measured[version] ?? [])]]));
  for (let round = 0; ; round++) {
    const pending = versions.filter((version) => (times.get(version)?.length ?? 0) < runs);
    if (pending.length === 0) break;
    for (const version of round % 2 ? pending.reverse() : pending) {
      const keycloak = await startKeycloak({ version });
      times.get(version)?.push(keycloak.startupMs);
      // Nothing to keep: no graceful shutdown needed.
      await keycloak.container.stop({ timeout: 0 });
    }
  }
  return versions.map((version) => {
    const values = times.get(version) ?? [];
    return { version, image: keycloakImage(version), runs: values, median: median(values) };
  });
}

export function printReadyTimes(results: ReadyTime[], loadBefore: string): void {
  const runs = Math.max(...results.map((result) => result.runs.length));
  console.log(`\nKeycloak container creation to /health/ready, median of ${runs} (load average ${loadBefore} before, ${load()} after)`);
  for (const { version, image, runs: values, median: value } of results) {
    const verdict = value <= READY_TARGET_MS ? 'within' : 'over';
    console.log(`  ${version.padEnd(8)} ${seconds(value).padStart(7)}   ${verdict} the ${seconds(READY_TARGET_MS)} target   runs: ${values.map(seconds).join(', ')}   (${image})`);
  }
}

/** For callers that print their own header first (npm run benchmark). */
export async function readyTimeReport(versions: string[], runs: number, measured: Record<string, number[]> = {}): Promise<void> {
  const before = load();
  printReadyTimes(await measureReadyTimes(versions, runs, measured), before);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const versions = args.length > 0 ? args : [DEFAULT_VERSION, COMPAT_VERSION];
  await prepareTestEnvironment({ keycloakVersions: versions, ceph: false });
  await readyTimeReport(versions, Number(process.env.READY_RUNS ?? 5));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
