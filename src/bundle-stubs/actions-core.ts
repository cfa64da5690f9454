// Bundle-time stand-in for @actions/core, wired in by "paths" in tsconfig.json
// (the tests use the real package; test/bundle-stubs.test.ts compares the two).
// The package's entry point loads, whenever the bundle starts, modules most
// runs never use: crypto (for the delimiters of file commands), fs/promises
// (for the job summary) and, for getIDToken, @actions/http-client with http,
// https, tls and net; together about half of a bare Node's start-up. This file
// keeps the package's command encoding (command.js and utils.js, imported from
// it) and copies from core.js and file-command.js the functions src/ calls,
// loading crypto on the first file command and summary.js (a chunk of its own)
// on the first summary written. Type-checking src/ against this file keeps the
// list complete: a function src/ starts to call must be copied here.
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';
import type { SummaryWriteOptions, summary as realSummary } from '../../node_modules/@actions/core/lib/summary.js';
import { issueCommand } from '../../node_modules/@actions/core/lib/command.js';
import type { AnnotationProperties, InputOptions } from '../../node_modules/@actions/core/lib/core.js';
import { toCommandProperties, toCommandValue } from '../../node_modules/@actions/core/lib/utils.js';

export type { AnnotationProperties, InputOptions };

// core.js

export function getInput(name: string, options?: InputOptions): string {
  const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
  if (options && options.required && !val) {
    throw new Error(`Input required and not supplied: ${name}`);
  }
  if (options && options.trimWhitespace === false) {
    return val;
  }
  return val.trim();
}

export function getBooleanInput(name: string, options?: InputOptions): boolean {
  const trueValue = ['true', 'True', 'TRUE'];
  const falseValue = ['false', 'False', 'FALSE'];
  const val = getInput(name, options);
  if (trueValue.includes(val)) return true;
  if (falseValue.includes(val)) return false;
  throw new TypeError(
    `Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
      `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``,
  );
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] || '';
}

export function saveState(name: string, value: unknown): void {
  const filePath = process.env['GITHUB_STATE'] || '';
  if (filePath) {
    return issueFileCommand('STATE', prepareKeyValueMessage(name, value));
  }
  issueCommand('save-state', { name }, toCommandValue(value));
}

export function setOutput(name: string, value: unknown): void {
  const filePath = process.env['GITHUB_OUTPUT'] || '';
  if (filePath) {
    return issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
  }
  process.stdout.write(EOL);
  issueCommand('set-output', { name }, toCommandValue(value));
}

export function exportVariable(name: string, val: unknown): void {
  const convertedVal = toCommandValue(val);
  process.env[name] = convertedVal;
  const filePath = process.env['GITHUB_ENV'] || '';
  if (filePath) {
    return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
  }
  issueCommand('set-env', { name }, convertedVal);
}

export function setSecret(secret: string): void {
  issueCommand('add-mask', {}, secret);
}

export function setFailed(message: string | Error): void {
  process.exitCode = 1;
  error(message);
}

export function isDebug(): boolean {
  return process.env['RUNNER_DEBUG'] === '1';
}

export function debug(message: string): void {
  issueCommand('debug', {}, message);
}

export function error(message: string | Error, properties: AnnotationProperties = {}): void {
  issueCommand('error', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}

export function warning(message: string | Error, properties: AnnotationProperties = {}): void {
  issueCommand('warning', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}

export function notice(message: string | Error, properties: AnnotationProperties = {}): void {
  issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

/** The runner's OIDC token (client-auth: github-oidc): the package's own client, loaded when first asked for. */
export async function getIDToken(audience?: string): Promise<string> {
  const { OidcClient } = await import('../../node_modules/@actions/core/lib/oidc-utils.js');
  return OidcClient.getIDToken(audience);
}

// file-command.js

function issueFileCommand(command: string, message: unknown): void {
  const filePath = process.env[`GITHUB_${command}`];
  if (!filePath) {
    throw new Error(`Unable to find environment variable for file command ${command}`);
  }
  if (!existsSync(filePath)) {
    throw new Error(`Missing file at path: ${filePath}`);
  }
  appendFileSync(filePath, `${toCommandValue(message)}${EOL}`, { encoding: 'utf8' });
}

function prepareKeyValueMessage(key: string, value: unknown): string {
  const delimiter = `ghadelimiter_${process.getBuiltinModule('node:crypto').randomUUID()}`;
  const convertedValue = toCommandValue(value);
  if (key.includes(delimiter)) {
    throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  }
  if (convertedValue.includes(delimiter)) {
    throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  }
  return `${key}<<${delimiter}${EOL}${convertedValue}${EOL}${delimiter}`;
}

// summary.js, loaded by write(): the builder calls are recorded until then.

type Summary = typeof realSummary;
type SummaryStep = (summary: Summary) => Summary;

class DeferredSummary {
  private steps: SummaryStep[] = [];

  addHeading(...args: Parameters<Summary['addHeading']>): this {
    this.steps.push((summary) => summary.addHeading(...args));
    return this;
  }

  addTable(...args: Parameters<Summary['addTable']>): this {
    this.steps.push((summary) => summary.addTable(...args));
    return this;
  }

  async write(options?: SummaryWriteOptions): Promise<this> {
    const steps = this.steps;
    this.steps = [];
    const { summary } = await import('../../node_modules/@actions/core/lib/summary.js');
    await steps.reduce((built, step) => step(built), summary).write(options);
    return this;
  }
}

export const summary = new DeferredSummary();
