// Prints where the suite's wall time went: vitest's start-up with the global setup
// (engine, images, shared servers), each project, and each integration file with the
// part of it spent outside its tests (mostly servers starting and stopping in hooks).
// Wall times are taken as the events reach the main process (accurate to vitest's
// reporting batch, tens of ms); test durations are the worker's own measurements.
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

interface ModuleTimes {
  project: string;
  file: string;
  start: number;
  end: number;
  inTests: number;
}

export default class PhaseReporter implements Reporter {
  private readonly started = Date.now();
  private readonly modules = new Map<string, ModuleTimes>();

  onTestModuleStart(module: TestModule): void {
    const now = Date.now();
    this.modules.set(module.moduleId, { project: module.project.name, file: relative(process.cwd(), module.moduleId), start: now, end: now, inTests: 0 });
  }

  onTestModuleEnd(module: TestModule): void {
    const times = this.modules.get(module.moduleId);
    if (!times) return;
    times.end = Date.now();
    for (const test of module.children.allTests()) times.inTests += test.diagnostic()?.duration ?? 0;
  }

  onTestRunEnd(): void {
    const all = [...this.modules.values()].sort((a, b) => a.start - b.start);
    if (all.length === 0) return;
    const rows: [string, number, string?][] = [['start-up and global setup, until the first file', (all[0]?.start ?? 0) - this.started]];
    for (const project of new Set(all.map((m) => m.project))) {
      const files = all.filter((m) => m.project === project);
      const first = Math.min(...files.map((m) => m.start));
      const last = Math.max(...files.map((m) => m.end));
      rows.push([`${project}: ${files.length} files, first start to last end`, last - first]);
      if (!project.startsWith('integration')) continue;
      for (const m of files) rows.push([`  ${m.file}`, m.end - m.start, `outside tests ${seconds(m.end - m.start - m.inTests)}`]);
    }
    rows.push(['whole run, until the last file ended', Date.now() - this.started]);
    const width = Math.max(...rows.map(([label]) => label.length));
    const lines = rows.map(([label, ms, note]) => `${label.padEnd(width)}  ${seconds(ms).padStart(7)}${note ? `  (${note})` : ''}`);
    process.stdout.write(`\nWall time per phase:\n${lines.join('\n')}\n`);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
