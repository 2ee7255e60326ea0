/**
 * `opsmeter send [paths...]` / `send --test` / `send --demo` — send payloads (files,
 * stdin, or generated test/demo events) and report exactly what the API said.
 * The flags shared with `import --send` are defined once in send-options.ts.
 */
import type { Command } from 'commander';
import type { SendItem } from '../ingest/sender.js';
import type { SendFlags } from './send-session.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { addConfigOptions, resolveSettings, type ConfigFlags } from './config-options.js';
import { addSendOptions } from './send-options.js';
import { intArg, loadCatalog, stdinHasData, stdinIsPiped } from './shared.js';

interface SendCommandFlags extends SendFlags, ConfigFlags {
  test?: boolean;
  demo?: boolean;
  count: number;
  environment?: string;
  seed?: string;
  catalog?: string;
}

export function defineCommand(cmd: Command): void {
  cmd
    .argument('[paths...]', 'payload files (.json, .jsonl), directories, globs, or - for stdin')
    .option('--test', 'send generated dataMode "test" events (environment staging)')
    .option('--demo', 'send generated dataMode "demo" events (environment dev)')
    .option('-n, --count <n>', 'how many events to generate', intArg('--count', 1), 1)
    .option('--environment <env>', 'environment of generated events: staging or dev')
    .option('--seed <seed>', 'seed for generated events: the same seed gives the same events and ids');
  addSendOptions(cmd);
  addConfigOptions(cmd)
    .addHelpText(
      'after',
      `
Outcomes: accepted · throttled (429, retried after Retry-After) · paused (402 plan limit) ·
blocked (402 budget) · unauthorized (401/403) · rejected (other 4xx) · gave up · not sent.
Exit codes: 0 all accepted, 1 some rejected or invalid, 2 usage, 3 stopped by a 402,
4 auth failed, 5 gave up (throttling, 5xx or network), 130 interrupted.
Examples:
  OPSMETER_API_KEY=... opsmeter send --test
  opsmeter send --demo --count 50 --use-demo-endpoint
  opsmeter send events.jsonl --journal sent.jsonl
  opsmeter send --test --base-url http://127.0.0.1:8787 --dry-run`,
    )
    .action(async (paths: string[], flags: SendCommandFlags, command: Command) => {
      process.exitCode = await runSend(paths, flags, command);
    });
}

async function runSend(paths: string[], flags: SendCommandFlags, command: Command): Promise<number> {
  if (flags.test && flags.demo) throw new OpsmeterError('choose one of --test and --demo', EXIT.usage);
  const generated = flags.test ? 'test' : flags.demo ? 'demo' : undefined;
  if (generated && paths.length > 0) throw new OpsmeterError(`--${generated} generates its events; do not also give files`, EXIT.usage);
  if (!generated) {
    for (const f of ['count', 'environment', 'seed'] as const) {
      if (command.getOptionValueSource(f) === 'cli') throw new OpsmeterError(`--${f} applies to generated events (--test or --demo)`, EXIT.usage, 'payloads from files keep their own values');
    }
  }
  if (flags.environment !== undefined && flags.environment !== 'staging' && flags.environment !== 'dev') {
    throw new OpsmeterError(
      `--environment must be staging or dev, got "${flags.environment}"`,
      EXIT.usage,
      flags.environment === 'prod' ? 'test and demo events never go to environment prod; send real payloads from files with --allow-real instead' : undefined,
    );
  }
  const settings = await resolveSettings(flags);
  const catalog = loadCatalog(flags.catalog ?? settings.catalog);
  const rules = settings.rules;
  const [{ runSendSession }, { generateEvents }, { randomSeed }] = await Promise.all([import('./send-session.js'), import('../ingest/generate.js'), import('../contract/random.js')]);
  if (generated) {
    const seed = flags.seed ?? randomSeed();
    const items = generateEvents({ mode: generated, count: flags.count, catalog, seed, environment: flags.environment as 'staging' | 'dev' | undefined });
    return runSendSession(items, flags, { catalog, seed, rules, total: flags.count });
  }
  if (paths.length === 0) {
    // As in validate: an empty piped stdin (`< /dev/null`, a CI runner) is "no input".
    if (await stdinHasData()) paths = ['-'];
    else throw noInput(stdinIsPiped() ? ' (stdin is empty)' : '');
  }
  const [{ expandPaths }, { itemsFromSources, countPayloadsCheaply }] = await Promise.all([import('../read/paths.js'), import('../ingest/sources.js')]);
  const expanded = await expandPaths(paths);
  if (expanded.emptyMatches.length > 0) {
    throw new OpsmeterError(`no payload files (*.json, *.jsonl, *.ndjson) in ${expanded.emptyMatches.map((p) => `"${p}"`).join(', ')}`, EXIT.usage);
  }
  const { kept, ignored } = await settings.filter(expanded.sources);
  if (ignored > 0) process.stderr.write(`opsmeter: ${ignored} file${ignored === 1 ? '' : 's'} skipped by the ignore globs of ${settings.config!.path}\n`);
  const items = await unlessEmpty(itemsFromSources(kept));
  // The total is for the TTY progress line only: not worth a scan otherwise.
  const total = process.stderr.isTTY && !flags.dryRun ? await countPayloadsCheaply(kept) : undefined;
  return runSendSession(items, flags, total === undefined ? { catalog, rules } : { catalog, rules, total });
}

function noInput(why: string): OpsmeterError {
  return new OpsmeterError(`no input: nothing to send${why}; give payload files, pipe payloads on stdin, or use --test / --demo`, EXIT.usage, 'opsmeter send --test   or   opsmeter send events.jsonl');
}

/**
 * The items, once at least one of them is something to send (or to report): when every
 * file holds no payloads at all, that is "no input" (exit 2) as in validate, not a run of
 * zero events. Only the leading "no payloads" markers are held back, so memory stays flat.
 */
async function unlessEmpty(items: AsyncGenerator<SendItem>): Promise<AsyncIterable<SendItem>> {
  const held: SendItem[] = [];
  for (;;) {
    const next = await items.next();
    if (next.done) {
      const names = held.map((i) => i.where).join(', ');
      throw noInput(names ? ` (${names} ${held.length === 1 ? 'holds' : 'hold'} no payloads)` : '');
    }
    held.push(next.value);
    if (!next.value.noPayloads) break;
  }
  return (async function* () {
    yield* held;
    yield* items;
  })();
}
