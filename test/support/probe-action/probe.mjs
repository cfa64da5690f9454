// See action.yml. Prints one `REPORT {json}` line per step.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const write = (file, text) => appendFileSync(process.env[file], `${text}\n`);
const phase = process.env.STATE_phase === 'main-done' ? 'post' : 'main';
if (phase === 'main') {
  write('GITHUB_STATE', 'phase=main-done');
  switch (process.env.INPUT_MAIN) {
    case 'file-commands':
      write('GITHUB_OUTPUT', 'plain=a=b');
      write('GITHUB_OUTPUT', 'multi<<EOF_1\nline 1\n\nline 3\nEOF_1');
      write('GITHUB_ENV', 'EXPORTED=yes');
      write('GITHUB_PATH', '/opt/first/bin\n/opt/second/bin');
      break;
    case 'malformed':
      write('GITHUB_OUTPUT', 'a line without a separator');
      break;
    case 'commands':
      console.log('::add-mask::on-stdout');
      console.error('  ::add-mask::on-stderr');
      // Two pipes: let stderr's line arrive before stop-commands on stdout.
      await new Promise((done) => setTimeout(done, 200));
      console.log('text before ##[warning]a legacy command anywhere in a line');
      console.log('not :: a command ::error::');
      console.log('::stop-commands::resume-token');
      console.log('::add-mask::while-stopped');
      console.log('::resume-token::');
      console.log('::notice title=a%2Cb::after%0Aresume');
      break;
    case 'fail':
      process.exitCode = 1;
      break;
    case 'hang':
      setInterval(() => undefined, 1000);
      break;
  }
}
if (phase === 'post') writeFileSync(join(process.env.RUNNER_TEMP, 'post-ran'), '');
const script = process.argv[1];
console.log(`REPORT ${JSON.stringify({ phase, node: process.versions.node, script, cwd: process.cwd(), nodeModules: existsSync(join(dirname(script), 'node_modules')), env: process.env })}`);
