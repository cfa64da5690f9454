// Every workflow this repository shows (README and docs/ examples) or runs (.github/) and
// action.yml itself, read by GitHub's own parser (actions/languageservices), so
// that nothing copy-pasted from here is an "Invalid workflow file"; and every
// input and output of this action they (and .env.example) use is one action.yml
// declares.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TemplateParseResult } from '@actions/workflow-parser';
import { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } from '@actions/workflow-parser';
import { convertActionTemplate, parseAction } from '@actions/workflow-parser/actions/index';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
const WORKFLOWS = '.github/workflows';

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const errorsOf = (context: TemplateParseResult['context']) => context.errors.getErrors().map((error) => error.message);

function actionErrors(): string[] {
  const { context, value } = parseAction({ name: 'action.yml', content: read('action.yml') }, new NoOperationTraceWriter());
  if (value) convertActionTemplate(context, value);
  return errorsOf(context);
}

// Read as plain YAML, so that a schema error in action.yml does not hide its inputs here.
const declared = parse(read('action.yml')) as { inputs: object; outputs: object };
const declaredInputs = new Set(Object.keys(declared.inputs));
const declaredOutputs = new Set(Object.keys(declared.outputs));

interface Workflow {
  /** Where it comes from, as the parser's messages name it. */
  name: string;
  content: string;
}

/** The documents whose ```yaml blocks are checked: the README and every page of docs/ that shows one. */
const DOCUMENTS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((file) => file.endsWith('.md')).sort().map((file) => `docs/${file}`).filter((path) => read(path).includes('```yaml'))];

/** A document's ```yaml blocks: whole workflows as they are, lists of steps wrapped in one. */
function readmeWorkflows(path: string): Workflow[] {
  const readme = read(path);
  return [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => {
    const line = readme.slice(0, match.index).split('\n').length + 1;
    return { name: `${path} line ${line}`, content: asWorkflow(match[1] ?? '', line, path) };
  });
}

function asWorkflow(block: string, line: number, path: string): string {
  if (/^jobs:/m.test(block)) return '\n'.repeat(line - 1) + block;
  if (!/^\s*- /.test(block)) throw new Error(`${path} line ${line}: a yaml block that is neither a workflow nor a list of steps`);
  const header = ['on: push', 'jobs:', '  example:', '    runs-on: ubuntu-latest', '    steps:'];
  // Blank lines first, so that the parser's line numbers are the document's.
  const padding = '\n'.repeat(Math.max(0, line - 1 - header.length));
  return padding + [...header, ...reindent(block, 6)].join('\n');
}

function reindent(text: string, indent: number): string[] {
  const lines = text.split('\n');
  const current = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => line.search(/\S/)));
  return lines.map((line) => (line.trim() === '' ? '' : ' '.repeat(indent) + line.slice(current)));
}

function repositoryWorkflows(): Workflow[] {
  return readdirSync(join(ROOT, WORKFLOWS))
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => ({ name: `${WORKFLOWS}/${file}`, content: read(`${WORKFLOWS}/${file}`) }));
}

async function workflowErrors({ name, content }: Workflow): Promise<string[]> {
  const { context, value } = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  // Conversion finds what the schema cannot: bad expressions, unknown `needs`, duplicate step ids.
  if (value) await convertWorkflowTemplate(context, value);
  return errorsOf(context);
}

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}

const isThisAction = (uses: string | undefined) => uses === './' || /^[^/]+\/keycloak-token-refresh-action@/.test(uses ?? '');

/** Inputs and outputs of this action that a workflow uses but action.yml does not declare. */
function undeclaredUses(content: string): string[] {
  const jobs = (parse(content) as { jobs: Record<string, { steps?: Step[] }> }).jobs;
  return Object.entries(jobs).flatMap(([jobId, job]) => {
    const ours = (job.steps ?? []).filter((step) => isThisAction(step.uses));
    const inputs = ours.flatMap((step) => Object.keys(step.with ?? {}).filter((key) => !declaredInputs.has(key)).map((key) => `job ${jobId}: input ${key}`));
    const ids = new Set(ours.map((step) => step.id));
    const outputs = [...JSON.stringify(job).matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)]
      .filter(([, id, output]) => ids.has(id) && !declaredOutputs.has(output ?? ''))
      .map(([reference]) => `job ${jobId}: ${reference}`);
    return [...inputs, ...outputs];
  });
}

describe('action.yml', () => {
  it("is valid for GitHub's action schema", () => {
    expect(actionErrors()).toEqual([]);
  });
});

describe.each([
  ...DOCUMENTS.map((path): [string, Workflow[]] => [path, readmeWorkflows(path)]),
  [WORKFLOWS, repositoryWorkflows()],
])('workflows in %s', (_where, workflows) => {
  it('exist', () => expect(workflows.length).toBeGreaterThan(0));

  it.each(workflows)("$name: GitHub's workflow parser accepts it", async (workflow) => {
    expect(await workflowErrors(workflow)).toEqual([]);
  });

  it.each(workflows)('$name: uses only inputs and outputs action.yml declares', (workflow) => {
    expect(undeclaredUses(workflow.content)).toEqual([]);
  });
});

describe('.env.example', () => {
  it('sets only inputs action.yml declares', () => {
    const names = [...read('.env.example').matchAll(/^#? ?INPUT_([\w-]+)=/gm)].map(([, name]) => (name ?? '').toLowerCase());
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !declaredInputs.has(name))).toEqual([]);
  });
});

describe('.github/dependabot.yml', () => {
  it('is YAML with version 2 and updates', () => {
    const config = parse(read('.github/dependabot.yml')) as { version?: number; updates?: unknown[] };
    expect(config.version).toBe(2);
    expect(config.updates?.length).toBeGreaterThan(0);
  });
});
