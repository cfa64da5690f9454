import { run } from './command.js';

void run(process.argv.slice(2));
