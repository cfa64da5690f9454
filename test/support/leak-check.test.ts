// The leak check's own rules, on later steps of a probe job that print what each
// case needs: a mask counts only as a carried-out add-mask of exactly the secret,
// before the line that shows it, not while commands are stopped.
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { runLaterStep } from './later-step.js';
import { applyMasks, findLeaks, shownLog } from './leak-check.js';
import { runAction } from './run-action.js';

const PROBE = resolve(import.meta.dirname, 'probe-action');
const S = 'Secret7Value9ForLeakCheck';

/** Runs each script as a later step of one probe job; S counts as issued after the main step. */
async function judge(...scripts: string[]) {
  const run = await runAction({}, {
    actionPath: PROBE,
    betweenSteps: async (_, job) => {
      for (const [i, script] of scripts.entries()) await runLaterStep(job, script, { S }, `step ${i + 1}`);
    },
  });
  const leaks = findLeaks(run, [], { issued: [{ value: S, at: performance.now(), kind: 'test secret' }] });
  return { run, leaks: [...new Set(leaks.map((leak) => leak.message.replace(/ \(a \d+-character secret\)/, '')))] };
}

const shows = (step: number, line: number, rest: string) => `step ${step}, line ${line} (stdout), shows the test secret a fake server issued after the main steps ${rest}`;

describe('the leak check reads masks as the runner does', () => {
  it('a mask before the secret covers it, in this step and every later one', async () => {
    const { run, leaks } = await judge('echo "::add-mask::$S"; echo "token: $S"', 'echo "again: $S"');
    expect(leaks).toEqual([]);
    expect(shownLog(run)).toContain('token: ***\nagain: ***');
  });

  it('a mask after the first appearance does not', async () => {
    const { leaks } = await judge('echo "token: $S"; echo "::add-mask::$S"');
    expect(leaks).toContain(shows(1, 1, 'before its add-mask (step 1)'));
  });

  it('an add-mask while commands are stopped is printed, not carried out', async () => {
    const { leaks } = await judge('echo "::stop-commands::pause-token-1"; echo "::add-mask::$S"; echo "::pause-token-1::"; echo "token: $S"');
    expect(leaks).toContain(shows(1, 2, 'and nothing ever masks it'));
  });

  it('stop-commands ends with its step: the next step masks', async () => {
    const { leaks } = await judge('echo "::stop-commands::pause-token-2"', 'echo "::add-mask::$S"; echo "token: $S"');
    expect(leaks).toEqual([]);
  });

  it("'::add-mask::' inside a line is no command", async () => {
    const { leaks } = await judge('echo "note ::add-mask::$S"');
    expect(leaks).toContain(shows(1, 1, 'and nothing ever masks it'));
  });

  it('a mask of a longer value, or of part of the secret, does not count', async () => {
    expect((await judge('echo "::add-mask::$S-and-more"; echo "token: $S"')).leaks).toContain(shows(1, 2, 'and nothing ever masks it'));
    const part = await judge('echo "::add-mask::Secret7Value9"; echo "token: $S"');
    expect(part.leaks).toContain(shows(1, 2, 'and nothing ever masks it'));
    // The runner does hide that part; the rest of the secret is still there to read.
    expect(shownLog(part.run)).toContain('token: ***ForLeakCheck');
  });

  it('escaped data: each line of a multi-line add-mask is a mask of its own', async () => {
    const { leaks } = await judge('echo "::add-mask::first line%0A  $S  %0D"; echo "token: $S"');
    expect(leaks).toEqual([]);
  });

  it('leading white space as .NET trims it: U+0085 yes, U+FEFF no (but a BOM that starts the stream is dropped); a bare \\r ends the line', async () => {
    expect((await judge('printf "\\302\\205::add-mask::%s\\n" "$S"; echo "token: $S"')).leaks).toEqual([]);
    expect((await judge('echo first; printf "\\357\\273\\277::add-mask::%s\\n" "$S"; echo "token: $S"')).leaks).toContain(shows(1, 2, 'and nothing ever masks it'));
    expect((await judge('printf "\\357\\273\\277::add-mask::%s\\n" "$S"; echo "token: $S"')).leaks).toEqual([]);
    expect((await judge('printf "::add-mask::%s\\rtoken: %s\\n" "$S" "$S"')).leaks).toEqual([]);
  });

  it('applyMasks hides every occurrence, overlaps merged, as SecretMasker does', () => {
    expect(applyMasks('a-abcd-bcde-x', ['abcd', 'bcde', 'cdb'])).toBe('a-***-***-x');
    expect(applyMasks('abcde', ['abc', 'cde'])).toBe('***');
  });
});
