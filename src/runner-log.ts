// The runner's log: masks and log lines. Every module that logs imports this
// small edge, not publish.ts, so logging does not stack a module above publishing.
import * as core from '@actions/core';
import { neutraliseCommands, rememberSecret } from './outside-text.js';

/**
 * Registers values with the runner's log masker. A multi-line value is masked
 * line by line too, because the runner matches masks within one log line.
 */
export function mask(values: Iterable<string | undefined>): void {
  const pieces = new Set<string>();
  for (const value of values) {
    if (value === undefined || value.trim() === '') continue;
    pieces.add(value);
    for (const line of value.split(/\r\n|\r|\n|\u0085|\u2028|\u2029/)) if (line.trim() !== '') pieces.add(line.trim());
  }
  for (const piece of pieces) {
    core.setSecret(piece);
    rememberSecret(piece);
  }
}

/**
 * Every line the action logs goes through here. Outside text in it was made
 * safe where it came in (outside-text.ts); this is the last guard against a
 * line the runner would take as a command.
 */
export const log = {
  info: (message: string) => core.info(neutraliseCommands(message)),
  warning: (message: string) => core.warning(neutraliseCommands(message)),
  debug: (message: string) => core.debug(neutraliseCommands(message)),
  failed: (message: string) => core.setFailed(neutraliseCommands(message)),
};
