/** `opsmeter emulate` — a local Opsmeter-compatible ingest server; runs until SIGINT/SIGTERM. */
import { Option, type Command } from 'commander';
import {
  BUDGET_MODES,
  DEFAULT_EMULATOR_HOST,
  DEFAULT_EMULATOR_KEY,
  DEFAULT_EMULATOR_PORT,
  DEFAULT_EMULATOR_TOKEN,
  RETRY_AFTER_MODES,
  type BudgetMode,
  type RetryAfterMode,
} from '../emulator/constants.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { isLoopbackHost, resolvesToLoopback } from '../ingest/config.js';
import { paint, useColor } from './output.js';
import { catalogOption, intArg, loadCatalog } from './shared.js';

interface EmulateFlags {
  host: string;
  port: number;
  apiKey?: string;
  bearerToken?: string;
  store?: string;
  planLimit?: number;
  planTier: string;
  budgetUsd?: number;
  budgetMode: BudgetMode;
  rateLimit?: number;
  failRate?: number;
  latency?: number;
  seed?: number;
  retryAfter: RetryAfterMode;
  catalog?: string;
  verbose?: boolean;
}

/** A finite number flag within [min, max], with a usage error naming the flag. */
function numberArg(flag: string, min: number, max = Infinity, exclusiveMin = false) {
  return (value: string): number => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isFinite(n) || n < min || (exclusiveMin && n === min) || n > max) {
      const range = max === Infinity ? `${exclusiveMin ? '>' : '≥'} ${min}` : `between ${min} and ${max}`;
      throw new OpsmeterError(`${flag} takes a number ${range}, got "${value}"`, EXIT.usage);
    }
    return n;
  };
}

function portArg(value: string): number {
  const n = intArg('--port', 0)(value);
  if (n > 65535) throw new OpsmeterError(`--port takes a port number 0–65535, got "${value}"`, EXIT.usage);
  return n;
}

function latencyArg(value: string): number {
  const n = intArg('--latency', 0)(value);
  if (n > 2_147_483_647) throw new OpsmeterError(`--latency takes milliseconds up to 2147483647, got "${value}"`, EXIT.usage);
  return n;
}

export function defineCommand(cmd: Command): void {
  cmd
    .option('--host <host>', 'interface to bind (loopback by default)', DEFAULT_EMULATOR_HOST)
    .option('-p, --port <port>', 'port to listen on; 0 picks a free one', portArg, DEFAULT_EMULATOR_PORT)
    .option('--api-key <key>', `the X-API-Key clients must send (default: OPSMETER_EMULATOR_API_KEY, else OPSMETER_API_KEY, else "${DEFAULT_EMULATOR_KEY}")`)
    .option('--bearer-token <token>', `the dashboard token the Bearer endpoints take (default: OPSMETER_EMULATOR_TOKEN, else "${DEFAULT_EMULATOR_TOKEN}")`)
    .option('--store <file>', 'durable JSONL store: loaded on start, each accepted row written before its 200')
    .option('--plan-limit <n>', 'after n accepted rows answer 402 plan_limit_reached', intArg('--plan-limit', 0))
    .option('--plan-tier <name>', 'plan tier reported in responses', 'Free')
    .option('--budget-usd <usd>', 'budget of estimated spend: budgetWarning from 80 %, budgetExceeded past it', numberArg('--budget-usd', 0))
    .addOption(new Option('--budget-mode <mode>', 'past the budget: soft = still accept (200, budgetExceeded); hard = 402 budget_exceeded').choices([...BUDGET_MODES]).default('soft'))
    .option('--rate-limit <n>', 'allow n ingest requests per second (burst n), then 429 with Retry-After', numberArg('--rate-limit', 0, Infinity, true))
    .option('--fail-rate <p>', 'answer this share (0..1) of ingest requests with 503', numberArg('--fail-rate', 0, 1))
    .option('--latency <ms>', 'delay every response by ms milliseconds', latencyArg)
    .option('--seed <n>', 'seed for --fail-rate and generated demo rows (reproducible faults)', intArg('--seed', 0))
    .addOption(new Option('--retry-after <mode>', 'how a 429 states Retry-After').choices([...RETRY_AFTER_MODES]).default('seconds'))
    .addOption(catalogOption())
    .option('-v, --verbose', 'log one line per request on stderr')
    .addHelpText(
      'after',
      `
Endpoints: POST /v1/ingest/llm-request, POST /v1/ingest/demo,
           GET /v1/diagnostics/workspace-status, GET /v1/public/pricing-models (X-API-Key / none)
           GET /v1/settings/workspace-status, DELETE /v1/ingest/test-data?scope=mine|workspace,
           DELETE /v1/ingest/demo-data?scope=mine|workspace (Authorization: Bearer)
Runs until SIGINT/SIGTERM, then exits 0. Exit 2: bad flag, port in use, store not writable.
Examples:
  opsmeter emulate
  opsmeter emulate --port 0 --store rows.jsonl --verbose
  opsmeter emulate --rate-limit 5 --fail-rate 0.2 --seed 7 --plan-limit 100
  opsmeter emulate --budget-usd 0.01 --budget-mode hard`,
    )
    .action(async (flags: EmulateFlags) => {
      await runEmulate(flags);
    });
}

async function runEmulate(flags: EmulateFlags): Promise<void> {
  const { startEmulator } = await import('../emulator/server.js');
  const catalog = loadCatalog(flags.catalog);
  // Environment variables keep the key and token out of `ps`; only the built-in defaults are ever printed.
  const keyEnv = ['OPSMETER_EMULATOR_API_KEY', 'OPSMETER_API_KEY'].find((name) => process.env[name]);
  const apiKey = flags.apiKey ?? (keyEnv ? process.env[keyEnv]! : DEFAULT_EMULATOR_KEY);
  const keyShown = flags.apiKey !== undefined ? '(as given with --api-key)' : keyEnv ? `(from ${keyEnv})` : DEFAULT_EMULATOR_KEY;
  const tokenEnv = process.env.OPSMETER_EMULATOR_TOKEN ? 'OPSMETER_EMULATOR_TOKEN' : undefined;
  const bearerToken = flags.bearerToken ?? (tokenEnv ? process.env[tokenEnv]! : DEFAULT_EMULATOR_TOKEN);
  const tokenShown = flags.bearerToken !== undefined ? '(as given with --bearer-token)' : tokenEnv ? `(from ${tokenEnv})` : DEFAULT_EMULATOR_TOKEN;
  if (/\s/.test(bearerToken) || bearerToken === '') {
    throw new OpsmeterError(`the Bearer token ${flags.bearerToken !== undefined ? 'given with --bearer-token' : `from ${tokenEnv}`} is empty or contains spaces`, EXIT.usage);
  }
  const c = paint(useColor(process.stderr));
  const err = (line: string) => process.stderr.write(line + '\n');

  // Listen for the stop signal before printing the URL: a caller may signal as soon as it sees it.
  let removeHandlers = () => {};
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      removeHandlers();
      resolve(sig);
    };
    removeHandlers = () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });

  // A *.localhost name is this machine only if it resolves there (see resolvesToLoopback).
  if (!isLoopbackHost(flags.host) && !(flags.host.toLowerCase().endsWith('.localhost') && (await resolvesToLoopback(flags.host)))) {
    err(c.yellow(`warning: binding ${flags.host}, which other machines may reach; the emulator is meant for local testing`));
  }
  let emulator;
  try {
    emulator = await startEmulator({
      host: flags.host,
      port: flags.port,
      apiKey,
      bearerToken,
      store: flags.store,
      planLimit: flags.planLimit,
      planTier: flags.planTier,
      budgetUsd: flags.budgetUsd,
      budgetMode: flags.budgetMode,
      rateLimit: flags.rateLimit,
      failRate: flags.failRate,
      latencyMs: flags.latency,
      seed: flags.seed,
      retryAfterMode: flags.retryAfter,
      catalog,
      keepRows: false,
      onRequest: flags.verbose
        ? (e) => err(`${e.method} ${e.path} ${e.status || '-'} ${e.outcome} ${e.ms.toFixed(1)}ms${e.externalRequestId ? ' ' + e.externalRequestId : ''}`)
        : undefined,
    });
  } catch (e) {
    removeHandlers();
    throw startError(e as NodeJS.ErrnoException, flags);
  }

  const faults: string[] = [];
  if (flags.planLimit !== undefined) faults.push(`plan limit ${flags.planLimit} rows`);
  if (flags.budgetUsd !== undefined) faults.push(`budget $${flags.budgetUsd} (${flags.budgetMode})`);
  if (flags.rateLimit !== undefined) faults.push(`rate limit ${flags.rateLimit}/s (Retry-After: ${flags.retryAfter})`);
  if (flags.failRate !== undefined) faults.push(`fail rate ${Math.round(flags.failRate * 1000) / 10} % (seed ${emulator.seed})`);
  if (flags.latency !== undefined) faults.push(`latency ${flags.latency} ms`);
  const keyHint = keyShown === DEFAULT_EMULATOR_KEY ? ` OPSMETER_API_KEY=${DEFAULT_EMULATOR_KEY}` : '';
  const restored = emulator.restored;
  const storeLines: string[] = [];
  if (flags.store !== undefined && restored) {
    storeLines.push(`  store ${flags.store}: ${restored.rows > 0 ? `${restored.rows} rows restored (dedupe, plan count and spend carry on)` : 'new or empty'}; each accepted row is written before its 200`);
    if (restored.tornLine) {
      storeLines.push(
        c.yellow(`  warning: store ${flags.store}: dropped a torn last line (line ${restored.tornLine.line}, ${restored.tornLine.bytes} bytes): a write cut short by a crash; it was never acknowledged, so its client resends it`),
      );
    }
  }
  // One write, so a reader that sees the URL sees the whole banner.
  err(
    [
      `opsmeter emulate: listening on ${c.bold(emulator.url)}`,
      `  API key (X-API-Key): ${keyShown}`,
      `  dashboard token (Authorization: Bearer): ${tokenShown}`,
      ...(faults.length > 0 ? [`  faults: ${faults.join(' · ')}`] : []),
      ...storeLines,
      `  try: OPSMETER_API_BASE_URL=${emulator.url}${keyHint} opsmeter send --test`,
      '  stop with Ctrl+C',
    ].join('\n'),
  );

  const signal = await stopped;
  const s = emulator.stats();
  try {
    await emulator.close();
  } catch (e) {
    throw new OpsmeterError(`could not write the store ${flags.store}: ${(e as Error).message}`, EXIT.usage, 'rows accepted after the failure are missing from the file');
  }
  err(
    `opsmeter emulate: stopped (${signal}) after ${s.requests} requests: ${s.accepted} accepted, ${s.duplicates} duplicates, ` +
      `${s.throttled} throttled, ${s.failed} failed, ${s.rejected} rejected, ${s.unauthorized} unauthorized, ${s.paused} paused, ${s.blocked} blocked, ${s.deleted} rows deleted`,
  );
  process.exitCode = EXIT.ok;
}

function startError(e: NodeJS.ErrnoException, flags: EmulateFlags): Error {
  switch (e.syscall === 'open' ? 'store' : e.code) {
    case 'store':
      return new OpsmeterError(e.message, EXIT.usage, 'check that the directory exists and is writable');
    case 'EADDRINUSE':
      return new OpsmeterError(`port ${flags.port} is in use; try --port 0`, EXIT.usage);
    case 'EACCES':
      return new OpsmeterError(`no permission to listen on port ${flags.port}`, EXIT.usage, 'ports below 1024 need privileges; try --port 0');
    case 'EADDRNOTAVAIL':
      return new OpsmeterError(`cannot listen on ${flags.host}: no such local address`, EXIT.usage);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new OpsmeterError(`cannot resolve --host ${flags.host}`, EXIT.usage);
    default:
      return e;
  }
}
