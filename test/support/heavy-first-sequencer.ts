// The integration files that start a server of their own or wait longest go first,
// so that the two workers finish together. Vitest's own order (the last run's
// durations, or file size on a fresh clone, as in CI) decides among the rest.
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

const FIRST = ['act.test.ts', 'keep-fresh.test.ts', 'audience.test.ts', 'revoke.test.ts', 'servers.test.ts', 's3.test.ts', 'tls-and-proxy.test.ts', 'parallel.test.ts', 'faults.test.ts', 'ceph.test.ts'];

function rank(file: TestSpecification): number {
  const index = FIRST.findIndex((name) => file.moduleId.endsWith(`/integration/${name}`));
  return index === -1 ? FIRST.length : index;
}

export default class HeavyFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
