// The README's first command, `npm run demo`, as a newcomer runs it: it starts
// its own Keycloak, runs the bundle main and post step, and must end with exit 0
// after userinfo took the token during the job and refused it after.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

it('npm run demo: the action end to end against a Keycloak it starts itself', async () => {
  const child = spawn('npm', ['run', '-s', 'demo'], { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await new Promise<number | null>((done) => child.on('close', done));
  expect(exitCode, output).toBe(0);
  expect(output).toContain("during the job: HTTP 200, user 'demo'");
  expect(output).toContain('after the job (revoke-on-post): HTTP 401');
  expect(output).toMatch(/--- post step \(exit code 0\) ---/);
  // The run page shows masks, never a token.
  expect(output).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}\./);
}, 180_000);
