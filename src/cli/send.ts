/**
 * `opsmeter send [paths...]` / `send --test` / `send --demo` — send payloads (files,
 * stdin, or generated test/demo events) and report exactly what the API said. The flags are
 * checked by planSend (send-plan.ts); the action runs the plan. The flags shared with
 * `import --send` are defined once in send-options.ts.
 */
import type { Command } from 'commander';
import type { SendItem } from '../ingest/sender.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { addConfigOptions, resolveSettings } from './config-options.js';
import { commandLine, orThrow, processEnv } from './plan.js';
import { addSendOptions } from './send-options.js';
import { planSend, type SendCommandFlags, type SendPlan } from './send-plan.js';
import { intArg, loadCatalog, stdinHasData, stdinIsPiped } from './shared.js';

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
      process.exitCode = await runSend(orThrow(planSend(commandLine(paths, flags, command), processEnv())));
    });
}

async function runSend(plan: SendPlan): Promise<number> {
  const settings = await resolveSettings(plan.config);
  const catalog = loadCatalog(plan.catalog ?? settings.catalog);
  const rules = settings.rules;
  const [{ runSendSession }, { generateEvents }, { randomSeed }] = await Promise.all([import('./send-session.js'), import('../ingest/generate.js'), import('../contract/random.js')]);
  const input = plan.input;
  if ('generate' in input) {
    const seed = input.seed ?? randomSeed();
    const items = generateEvents({ mode: input.generate, count: input.count, catalog, seed, environment: input.environment });
    return runSendSession(items, plan.session, { catalog, seed, rules, total: input.count });
  }
  let paths = input.paths;
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
  const total = process.stderr.isTTY && !plan.session.dryRun ? await countPayloadsCheaply(kept) : undefined;
  return runSendSession(items, plan.session, total === undefined ? { catalog, rules } : { catalog, rules, total });
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
