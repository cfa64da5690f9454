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
  'notice', 'remove-matcher', 'save-state', 'set-env', 'set-output', 'stop-commands', 'warning',
] as const;

export interface WorkflowCommand {
  /** Lower case for the runner's own commands (it matches them ignoring case); a stop token as written. */
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
 * A step's output stream cut into lines as the runner cuts it: .NET's
 * StreamReader.ReadLine (actions/runner src/Runner.Sdk/ProcessInvoker.cs) ends a
 * line at `\n`, at `\r` and at `\r\n`, also when `\r` and `\n` arrive in two
 * chunks; a last line without an end is a line too. Bytes are decoded as UTF-8
 * across chunk borders (a character cut in two by a pipe read is not broken), and
 * a UTF-8 byte order mark that starts the stream is dropped, as StreamReader drops
 * its encoding's preamble; U+FEFF anywhere else stays.
 * No other character ends a line: not U+0085, U+2028 or U+2029.
 */
export class LineSplitter {
  private pending = '';
  /** The last chunk ended in `\r`: a `\n` first in the next chunk belongs to that line end. */
  private afterCr = false;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly onLine: (text: string) => void) {}

  write(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    if (text !== '') this.afterCr = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (c !== '\n' && c !== '\r') continue;
      this.onLine(this.pending + text.slice(start, i));
      this.pending = '';
      if (c === '\r') {
        if (i + 1 === text.length) this.afterCr = true;
        else if (text[i + 1] === '\n') i++;
      }
      start = i + 1;
    }
    this.pending += text.slice(start);
  }

  end(): void {
    this.pending += this.decoder.decode();
    if (this.pending !== '') this.onLine(this.pending);
    this.pending = '';
  }
}

/** A whole stream's text in lines, as LineSplitter cuts it. */
export function readLines(text: string): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  splitter.write(text);
  splitter.end();
  return lines;
}

/**
 * .NET's Char.IsWhiteSpace, which String.Trim and TrimStart use: U+0009 to U+000D,
 * U+0020, U+0085, U+00A0 and the categories Zs, Zl and Zp. Not JavaScript's
 * trimStart: JavaScript also trims U+FEFF and keeps U+0085.
 */
export function isDotnetWhiteSpace(c: string): boolean {
  const code = c.charCodeAt(0);
  if (code <= 0xff) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0xa0;
  return /^[\p{Zs}\p{Zl}\p{Zp}]$/u.test(c);
}

/** String.TrimStart() of .NET: leading white space as Char.IsWhiteSpace has it. */
export function dotnetTrimStart(text: string): string {
  let i = 0;
  while (i < text.length && isDotnetWhiteSpace(text[i] as string)) i++;
  return text.slice(i);
}

/** String.Trim() of .NET. */
export function dotnetTrim(text: string): string {
  let end = text.length;
  while (end > 0 && isDotnetWhiteSpace(text[end - 1] as string)) end--;
  return dotnetTrimStart(text.slice(0, end));
}

/**
 * One step's workflow commands as the runner's ActionCommandManager reads them, line
 * by line (actions/runner src/Runner.Worker/ActionCommandManager.cs). Each step has
 * its own (Handler.cs creates one per step), so stop-commands ends with the step.
 * Command names match ignoring case. After `stop-commands` no line is a command
 * (an `add-mask` line is then printed as it is) until the token comes back as a
 * command. A token that is empty, a command's name or `pause-logging` is refused
 * (the runner throws) and stops nothing.
 */
export class CommandReader {
  private readonly registered = new Set<string>(REGISTERED_COMMANDS);
  private stopToken: string | undefined;

  /** The command the runner carries out for this line, or undefined when the line is only printed. */
  read(line: OutputLine): WorkflowCommand | undefined {
    if (line.text === '') return undefined;
    const parsed = parseV2(line.text, this.registered) ?? parseLegacy(line.text, this.registered);
    if (parsed === undefined) return undefined;
    if (this.stopToken !== undefined) {
      if (parsed.name.toLowerCase() !== this.stopToken.toLowerCase()) return undefined;
      this.registered.delete(this.stopToken.toLowerCase());
      this.stopToken = undefined;
      return { ...parsed, stream: line.stream, line: line.text };
    }
    if (parsed.name === 'stop-commands') {
      const token = parsed.data;
      const refused = token === '' || this.registered.has(token.toLowerCase()) || token.toLowerCase() === 'pause-logging';
      if (!refused) {
        this.stopToken = token;
        this.registered.add(token.toLowerCase());
      }
    }
    return { ...parsed, stream: line.stream, line: line.text };
  }

  get stopped(): boolean {
    return this.stopToken !== undefined;
  }
}

/** The commands the runner would carry out, in order, for one step's lines. */
export function parseWorkflowCommands(lines: OutputLine[]): WorkflowCommand[] {
  const reader = new CommandReader();
  return lines.flatMap((line) => reader.read(line) ?? []);
}

/** The values an add-mask command registers (AddMaskCommandExtension): the data, and each of its lines trimmed; nothing for blank data. */
export function maskValuesOf(command: WorkflowCommand): string[] {
  if (command.name !== 'add-mask' || dotnetTrim(command.data) === '') return [];
  const lines = command.data.split(/[\r\n]/).map(dotnetTrim).filter((line) => line !== '');
  return [...new Set([command.data, ...lines])];
}

type Parsed = Pick<WorkflowCommand, 'name' | 'properties' | 'data' | 'syntax'>;

/** The name the runner knows the command by (its registered set ignores case), or undefined. */
function registeredName(name: string, registered: Set<string>): string | undefined {
  const lower = name.toLowerCase();
  if (!registered.has(lower)) return undefined;
  return (REGISTERED_COMMANDS as readonly string[]).includes(lower) ? lower : name;
}

// Note: .NET's String.StartsWith(string) and IndexOf(string) compare by culture (ICU
// on Linux), which ignores zero-weight characters such as U+00AD; this reads them
// ordinally, as the runner does for every line without such characters.
function parseV2(line: string, registered: Set<string>): Parsed | undefined {
  const message = dotnetTrimStart(line);
  if (!message.startsWith('::')) return undefined;
  const end = message.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = message.slice(2, end);
  const space = info.indexOf(' ');
  const name = registeredName(space < 0 ? info : info.slice(0, space), registered);
  if (name === undefined) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    for (const pair of dotnetTrim(info.slice(space + 1)).split(',').filter((p) => p !== '')) {
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
  const name = registeredName(space < 0 ? info : info.slice(0, space), registered);
  if (name === undefined) return undefined;
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
