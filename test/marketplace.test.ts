// What GitHub Marketplace checks when a release is published to it, checked here so
// that it fails in CI instead of at the release form: action.yml's name, a
// description under the Marketplace's length limit, a branding icon and colour
// GitHub accepts, and a README at the root. The Marketplace validates action.yml at
// the release's tag, so a mistake found there needs a new release to mend.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as {
  name?: unknown;
  description?: unknown;
  branding?: { icon?: unknown; color?: unknown };
};

/**
 * The icons and colours GitHub allows, from GitHub's own action schema
 * (@actions/workflow-parser, the parser behind the workflow editor): Feather icons
 * without brand icons and a few others GitHub leaves out, e.g. `key`.
 */
function allowed(definition: 'branding-icon' | 'branding-color'): string[] {
  const schemaPath = join(ROOT, 'node_modules/@actions/workflow-parser/dist/action-v1.0.min.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { definitions: Record<string, { 'allowed-values'?: string[] }> };
  const values = schema.definitions[definition]?.['allowed-values'] ?? [];
  expect(values.length, `${definition} in GitHub's action schema`).toBeGreaterThan(0);
  return values;
}

/** The Marketplace's form refuses longer ones: "Description must be less than 125 characters". */
const DESCRIPTION_LIMIT = 125;

describe('GitHub Marketplace: action.yml', () => {
  it('has a name on one line', () => {
    expect(typeof action.name).toBe('string');
    const name = action.name as string;
    expect(name.trim()).not.toBe('');
    expect(name).toBe(name.trim());
    expect(name).not.toMatch(/\n/);
  });

  it(`has a description on one line, shorter than ${DESCRIPTION_LIMIT} characters`, () => {
    expect(typeof action.description).toBe('string');
    const description = action.description as string;
    expect(description.trim()).not.toBe('');
    expect(description).not.toMatch(/\n/);
    expect(description.length, `"${description}" has ${description.length} characters`).toBeLessThan(DESCRIPTION_LIMIT);
  });

  it('has a branding icon GitHub allows (a Feather icon name)', () => {
    expect(allowed('branding-icon')).toContain(action.branding?.icon);
  });

  it("has a branding colour from GitHub's list", () => {
    expect(allowed('branding-color')).toContain(action.branding?.color);
  });

  it('sits at the root of the repository with a README beside it', () => {
    expect(existsSync(join(ROOT, 'action.yml'))).toBe(true);
    expect(existsSync(join(ROOT, 'README.md'))).toBe(true);
  });
});
