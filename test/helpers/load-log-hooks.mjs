// Module resolution hooks for tests (registered by load-log.mjs): appends the URL of every
// module the process resolves, imported or required, to the file named by $LOAD_LOG_FILE.
import { appendFileSync } from 'node:fs';

const log = process.env.LOAD_LOG_FILE;

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (log) appendFileSync(log, result.url + '\n');
  return result;
}
