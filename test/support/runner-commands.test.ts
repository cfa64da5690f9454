// The runner's command parsing where it is easy to get wrong, checked against
// actions/runner's source (src/Runner.Worker/ActionCommandManager.cs,
// src/Runner.Common/ActionCommand.cs) without starting a step.
import { describe, expect, it } from 'vitest';
import { parseWorkflowCommands } from './runner-commands.js';

const commands = (...texts: string[]) => parseWorkflowCommands(texts.map((text) => ({ stream: 'stdout' as const, text }))).map(({ name, data }) => ({ name, data }));

describe('workflow commands', () => {
  it('are known in any case, as the runner knows them (OrdinalIgnoreCase)', () => {
    expect(commands('::ADD-MASK::a', '::Warning::b', 'x ##[Error]c')).toEqual([
      { name: 'add-mask', data: 'a' },
      { name: 'warning', data: 'b' },
      { name: 'error', data: 'c' },
    ]);
  });

  it('resume after stop-commands on the token in any case', () => {
    // The resuming line is listed too: the runner processes it (as the resume, not as a command of its own).
    expect(commands('::stop-commands::Resume-Me', '::add-mask::while-stopped', '::RESUME-ME::', '::add-mask::after')).toEqual([
      { name: 'stop-commands', data: 'Resume-Me' },
      { name: 'RESUME-ME', data: '' },
      { name: 'add-mask', data: 'after' },
    ]);
  });
});
