// See action.yml. Prints one `REPORT {json}` line per step.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
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
    case 'export': {
      // For a second invocation in one job: what each exports, under its no-default input.
      const id = process.env['INPUT_NO-DEFAULT'];
      write('GITHUB_ENV', `FROM_${id}=yes`);
      write('GITHUB_PATH', `/opt/${id}/bin`);
      write('GITHUB_STATE', `id=${id}`);
      break;
    }
    case 'line-ends': {
      // Raw writes, some cut mid-line: how the runner's ReadLine cuts them.
      const out = (bytes) => new Promise((done) => process.stdout.write(bytes, done));
      const pause = () => new Promise((done) => setTimeout(done, 100));
      await out('::add-mask::cr-only\r::warning::after-cr\r\n::notice::after-crlf\nplain\n\nafter-empty\r');
      await pause();
      // The \n that ends the \r above, one pipe read later: still one line end.
      await out('\nsplit-');
      await pause();
      await out('line\nnot\u2028a\u0085line\fend\r\r');
      const euro = Buffer.from('€ in two reads\n');
      await out(euro.subarray(0, 1));
      await pause();
      await out(euro.subarray(1));
      process.stderr.write('last without an end');
      break;
    }
    case 'white-space':
      for (const [name, lead] of Object.entries({ nel: '\u0085', nbsp: '\u00a0', ls: '\u2028', ps: '\u2029', ideographic: '\u3000', tab: '\t', vt: '\v' })) console.log(`${lead}::warning::${name}`);
      // Not white space for .NET (JavaScript's trimStart trims U+FEFF): printed, not a command.
      for (const lead of ['\ufeff', '\u200b', '\u001c', '\u180e']) console.log(`${lead}::warning::not trimmed`);
      console.log('::ADD-MASK::upper-case');
      console.log('::Warning::mixed-case');
      // Refused tokens: stop nothing.
      console.log('::stop-commands::add-mask');
      console.log('::stop-commands::');
      console.log('::stop-commands::PAUSE-LOGGING');
      console.log('::notice::still-read');
      console.log('::stop-commands::Resume-Me');
      console.log('::add-mask::while-stopped');
      console.log('::RESUME-ME::');
      console.log('::add-mask::after%25resume%0Aline%0D');
      break;
    case 'fail':
      process.exitCode = 1;
      break;
    case 'hang':
      setInterval(() => undefined, 1000);
      break;
  }
}
if (phase === 'post') {
  writeFileSync(join(process.env.RUNNER_TEMP, 'post-ran'), '');
  appendFileSync(join(process.env.RUNNER_TEMP, 'post-order'), `${process.env['INPUT_NO-DEFAULT'] ?? ''}\n`);
}
const script = process.argv[1];
console.log(`REPORT ${JSON.stringify({ phase, node: process.versions.node, script, cwd: process.cwd(), nodeModules: existsSync(join(dirname(script), 'node_modules')), env: process.env })}`);
