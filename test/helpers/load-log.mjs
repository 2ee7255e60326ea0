// `node --import <this file>`: log every module the process loads to $LOAD_LOG_FILE, so a
// test can assert what a command did NOT load. ESM imports (static and dynamic, packages
// included) go through the resolve hook; CommonJS require() calls are logged here too.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

register('./load-log-hooks.mjs', import.meta.url);

const log = process.env.LOAD_LOG_FILE;
const load = Module._load;
Module._load = function (request, ...rest) {
  if (log) appendFileSync(log, `require:${request}\n`);
  return load.call(this, request, ...rest);
};
