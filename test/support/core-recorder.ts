// A stand-in for @actions/core that records every call in order, for tests
// that must prove masking happens before anything can print a secret. Its
// inputs start from action.yml's defaults, as the runner passes them.
import { vi } from 'vitest';
import { actionDefaults } from './action-definition.js';

export interface CoreCall {
  fn: string;
  args: unknown[];
}

export function createCoreRecorder() {
  const calls: CoreCall[] = [];
  const inputs: Record<string, string> = actionDefaults();
  const state: Record<string, string> = {};
  const record =
    (fn: string, result?: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      calls.push({ fn, args });
      return result?.(...args);
    };
  const summary = {
    addHeading: vi.fn(() => summary),
    addTable: vi.fn(() => summary),
    write: vi.fn(async () => summary),
  };
  const core = {
    getInput: (name: string) => (inputs[name] ?? '').trim(),
    getState: (name: string) => state[name] ?? '',
    saveState: record('saveState', (name, value) => (state[name as string] = String(value))),
    setSecret: record('setSecret'),
    setOutput: record('setOutput'),
    exportVariable: record('exportVariable'),
    info: record('info'),
    debug: record('debug'),
    warning: record('warning'),
    notice: record('notice'),
    error: record('error'),
    setFailed: record('setFailed'),
    isDebug: () => false,
    /** The runner's OIDC token request; tests script its answer with mockImplementation. */
    getIDToken: vi.fn(async (audience?: string): Promise<string> => {
      calls.push({ fn: 'getIDToken', args: [audience] });
      throw new Error('no OIDC token scripted');
    }),
    summary,
  };
  return {
    core,
    calls,
    inputs,
    state,
    summary,
    reset() {
      calls.length = 0;
      for (const key of Object.keys(inputs)) delete inputs[key];
      Object.assign(inputs, actionDefaults());
      for (const key of Object.keys(state)) delete state[key];
      summary.addHeading.mockClear();
      summary.addTable.mockClear();
      summary.write.mockClear();
      // Back to the default body too: a token scripted by one test must not answer the next.
      core.getIDToken.mockReset();
    },
    /** The values passed to setSecret, in order. */
    masked: () => calls.filter((c) => c.fn === 'setSecret').map((c) => c.args[0] as string),
    /** The index of the first call, other than setSecret, whose arguments contain `value`. */
    firstExposure(value: string): number {
      return calls.findIndex((c) => c.fn !== 'setSecret' && JSON.stringify(c.args).includes(value));
    },
    lastMaskOf(value: string): number {
      return calls.findIndex((c) => c.fn === 'setSecret' && c.args[0] === value);
    },
    outputs: () => Object.fromEntries(calls.filter((c) => c.fn === 'setOutput').map((c) => c.args as [string, string])),
  };
}
