// How GitHub's runner reads what a step wrote, after actions/runner:
// file commands (src/Runner.Worker/FileCommandManager.cs, EnvFileKeyValuePairs and
// AddPathFileCommand) and workflow commands on stdout and stderr
// (src/Runner.Common/ActionCommand.cs TryParseV2 and TryParse, and
// src/Runner.Worker/ActionCommandManager.cs for stop-commands).

/** The runner fails the step with this when a command file is malformed. */
export class FileCommandError extends Error {}

/** GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STATE: `name=value` lines and `name<<DELIMITER` blocks; anything else fails the step. */
export function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      const name = line.slice(0, equals);
      if (name === '') throw new FileCommandError(`Invalid format '${line}'. Name must not be empty`);
      values[name] = line.slice(equals + 1);
    } else if (heredoc >= 0) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') throw new FileCommandError(`Invalid format '${line}'. Name must not be empty and delimiter must not be empty`);
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) throw new FileCommandError(`Invalid value. Matching delimiter not found '${delimiter}'`);
      values[name] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else {
      throw new FileCommandError(`Invalid format '${line}'`);
    }
  }
  return values;
}

/** GITHUB_PATH: one directory a line, the last one first in PATH. */
export function parsePathFile(text: string): string[] {
  const added: string[] = [];
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const seen = added.indexOf(line);
    if (seen >= 0) added.splice(seen, 1);
    added.push(line);
  }
  return added.reverse();
}

export const REGISTERED_COMMANDS = [
  'add-mask', 'add-matcher', 'add-path', 'debug', 'echo', 'endgroup', 'error', 'group',
  'internal-set-repo-path', 'notice', 'remove-matcher', 'save-state', 'set-env', 'set-output',
  'stop-commands', 'warning',
] as const;

export interface WorkflowCommand {
  name: string;
  properties: Record<string, string>;
  data: string;
  stream: 'stdout' | 'stderr';
  /** The line the command came from. */
  line: string;
  /** `::name::` (v2, at the start of a line) or `##[name]` (legacy, anywhere in a line). */
  syntax: 'v2' | 'legacy';
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

/**
 * The commands the runner would carry out, in order, each named in lower case: the
 * runner knows its commands in any case (ActionCommandManager.cs: `_registeredCommands`
 * and `_commandExtensions` are OrdinalIgnoreCase), so `::ADD-MASK::x` registers a mask.
 * After `stop-commands` nothing is a command until the token it named comes back as a
 * command.
 */
export function parseWorkflowCommands(lines: OutputLine[]): WorkflowCommand[] {
  const registered = new Set<string>(REGISTERED_COMMANDS);
  const commands: WorkflowCommand[] = [];
  let stopToken: string | undefined;
  for (const { stream, text } of lines) {
    const command = parseV2(text, registered) ?? parseLegacy(text, registered);
    if (command === undefined) continue;
    if (stopToken !== undefined) {
      if (command.name === stopToken.toLowerCase()) {
        registered.delete(stopToken.toLowerCase());
        stopToken = undefined;
      }
      continue;
    }
    commands.push({ ...command, stream, line: text });
    if (command.name === 'stop-commands' && command.data !== '') {
      stopToken = command.data;
      registered.add(stopToken.toLowerCase());
    }
  }
  return commands;
}

type Parsed = Pick<WorkflowCommand, 'name' | 'properties' | 'data' | 'syntax'>;

function parseV2(line: string, registered: Set<string>): Parsed | undefined {
  const message = line.trimStart();
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (!registered.has(name)) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of info.slice(space + 1).trim().split(',').filter((p) => p !== '')) {
      const [key, value] = splitOnce(pair, '=');
      if (key && value) properties[key] = unescape(value, ['%0D', '\r'], ['%0A', '\n'], ['%3A', ':'], ['%2C', ','], ['%25', '%']);
    }
  }
  return { name, properties, data: unescape(message.slice(end + 2), ['%0D', '\r'], ['%0A', '\n'], ['%25', '%']), syntax: 'v2' };
}

function parseLegacy(line: string, registered: Set<string>): Parsed | undefined {
  const prefix = line.indexOf('##[');
  if (prefix < 0) return undefined;
  const bracket = line.indexOf(']', prefix);
  if (bracket < 0) return undefined;
  const info = line.slice(prefix + 3, bracket);
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  if (!registered.has(name)) return undefined;
  const legacy: [string, string][] = [['%3B', ';'], ['%0D', '\r'], ['%0A', '\n'], ['%5D', ']'], ['%25', '%']];
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of info.slice(space + 1).split(';').filter((p) => p !== '')) {
      const [key, value] = splitOnce(pair, '=');
      if (key && value) properties[key] = unescape(value, ...legacy);
    }
  }
  return { name, properties, data: unescape(line.slice(bracket + 1), ...legacy), syntax: 'legacy' };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

function unescape(text: string, ...mappings: [string, string][]): string {
  return mappings.reduce((value, [escaped, plain]) => value.split(escaped).join(plain), text);
}
