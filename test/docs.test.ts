// What a user copies from the README and docs/ works as copied: every workflow
// snippet is a whole workflow (name, on, permissions, jobs that say where they run),
// every link between the documents leads to a file and a heading that exist, and the
// README stays short enough to read in five minutes.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

const DOCS = readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).sort().map((file) => `docs/${file}`);
const SNIPPET_DOCUMENTS = ['README.md', ...DOCS];
const LINKING_DOCUMENTS = ['README.md', 'CONTRIBUTING.md', 'SECURITY.md', ...DOCS];

/** Pages whose snippets may still be lists of steps: none. */
const STEP_LISTS_ALLOWED = new Set<string>();

/** A document's ```yaml blocks with the line each starts on. */
function yamlBlocks(path: string): { line: number; text: string }[] {
  const text = read(path);
  return [...text.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => ({
    line: text.slice(0, match.index).split('\n').length + 1,
    text: match[1] ?? '',
  }));
}

interface WorkflowShape {
  name?: unknown;
  on?: unknown;
  permissions?: unknown;
  jobs?: Record<string, { 'runs-on'?: unknown; permissions?: unknown }>;
}

/** What a snippet lacks to be a workflow a user can copy as a file into .github/workflows/. */
function missing(block: string): string[] {
  const workflow = parse(block) as WorkflowShape | unknown[];
  if (Array.isArray(workflow)) return ['a whole workflow (this is a list of steps)'];
  const jobs = Object.entries(workflow.jobs ?? {});
  return [
    ...(typeof workflow.name === 'string' && workflow.name.trim() !== '' ? [] : ['name']),
    ...(workflow.on === undefined ? ['on'] : []),
    ...(jobs.length === 0 ? ['jobs'] : []),
    ...jobs.filter(([, job]) => job['runs-on'] === undefined).map(([id]) => `runs-on in job ${id}`),
    // The permissions it needs, said either for the workflow or for each job ({} when it needs none).
    ...jobs.filter(([, job]) => workflow.permissions === undefined && job.permissions === undefined).map(([id]) => `permissions (workflow or job ${id})`),
  ];
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(path: string): Set<string> {
  const text = read(path).replace(/^```[\s\S]*?^```$/gm, '');
  return new Set([...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => slug(match[1] ?? '')));
}

/** Relative links of a document, `[text](target)`, outside code blocks: its own anchors and other files. */
function links(path: string): string[] {
  const text = read(path).replace(/^```[\s\S]*?^```$/gm, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '').filter((target) => !/^[a-z]+:/.test(target));
}

describe('snippets in the README and docs/', () => {
  const blocks = SNIPPET_DOCUMENTS.flatMap((path) => yamlBlocks(path).map((block) => ({ name: `${path} line ${block.line}`, path, ...block })));

  it('exist in the README and the scenario pages', () => {
    expect(yamlBlocks('README.md').length).toBeGreaterThan(0);
    expect(blocks.length).toBeGreaterThan(8);
  });

  it.each(blocks.filter((block) => !STEP_LISTS_ALLOWED.has(block.path)))('$name is a whole workflow: name, on, permissions, jobs with runs-on', ({ text }) => {
    expect(missing(text)).toEqual([]);
  });
});

describe('links between the documents', () => {
  it.each(LINKING_DOCUMENTS)('%s: every relative link leads to a file and heading that exist', (path) => {
    const broken = links(path).filter((target) => {
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const resolved = file === '' ? path : normalize(join(dirname(path), file));
      if (!existsSync(join(ROOT, resolved))) return true;
      return anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor);
    });
    expect(broken).toEqual([]);
  });
});

describe('README', () => {
  it('is short enough for a newcomer to finish in five minutes (at most 300 lines)', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(300);
  });

  it('starts with the one-API-call workflow: the first snippet is the quick start', () => {
    const [first] = yamlBlocks('README.md');
    expect(first?.text).toContain('steps.keycloak.outputs.access-token');
    expect(read('README.md').indexOf('## Quick start')).toBeLessThan(read('README.md').indexOf('## Inputs'));
  });
});
