/**
 * `opsmeter emulate` — a local Opsmeter-compatible ingest server; runs until SIGINT/SIGTERM.
 * The flags are range-checked as they are parsed and planned by planEmulate (emulate-plan.ts);
 * the action runs the plan.
 */
import { Option, type Command } from 'commander';
import { BUDGET_MODES, DEFAULT_EMULATOR_HOST, DEFAULT_EMULATOR_KEY, DEFAULT_EMULATOR_PORT, DEFAULT_EMULATOR_TOKEN, RETRY_AFTER_MODES } from '../emulator/constants.js';
import type { Emulator } from '../emulator/server.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { isLoopbackHost, resolvesToLoopback } from '../ingest/config.js';
import type { Paint } from '../terminal.js';
import { planEmulate, type EmulateFlags, type EmulatePlan } from './emulate-plan.js';
import { paint, useColor } from './output.js';
import { orThrow, processEnv } from './plan.js';
import { catalogOption, intArg, loadCatalog } from './shared.js';

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
      await runEmulate(orThrow(planEmulate(flags, processEnv())));
    });
}

async function runEmulate(plan: EmulatePlan): Promise<void> {
  const { startEmulator } = await import('../emulator/server.js');
  const catalog = loadCatalog(plan.catalog);
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
  if (!isLoopbackHost(plan.host) && !(plan.host.toLowerCase().endsWith('.localhost') && (await resolvesToLoopback(plan.host)))) {
    err(c.yellow(`warning: binding ${plan.host}, which other machines may reach; the emulator is meant for local testing`));
  }
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      host: plan.host,
      port: plan.port,
      apiKey: plan.apiKey.value,
      bearerToken: plan.bearerToken.value,
      store: plan.store,
      ...plan.faults,
      catalog,
      keepRows: false,
      onRequest: plan.verbose
        ? (e) => err(`${e.method} ${e.path} ${e.status || '-'} ${e.outcome} ${e.ms.toFixed(1)}ms${e.externalRequestId ? ' ' + e.externalRequestId : ''}`)
        : undefined,
    });
  } catch (e) {
    removeHandlers();
    throw startError(e as NodeJS.ErrnoException, plan);
  }
  // One write, so a reader that sees the URL sees the whole banner.
  err(banner(plan, emulator, c));

  const signal = await stopped;
  const s = emulator.stats();
  try {
    await emulator.close();
  } catch (e) {
    throw new OpsmeterError(`could not write the store ${plan.store}: ${(e as Error).message}`, EXIT.usage, 'rows accepted after the failure are missing from the file');
  }
  err(
    `opsmeter emulate: stopped (${signal}) after ${s.requests} requests: ${s.accepted} accepted, ${s.duplicates} duplicates, ` +
      `${s.throttled} throttled, ${s.failed} failed, ${s.rejected} rejected, ${s.unauthorized} unauthorized, ${s.paused} paused, ${s.blocked} blocked, ${s.deleted} rows deleted`,
  );
  process.exitCode = EXIT.ok;
}

/** What the server listens on, with which key and token, its faults and its store. */
function banner(plan: EmulatePlan, emulator: Emulator, c: Paint): string {
  const f = plan.faults;
  const faults: string[] = [];
  if (f.planLimit !== undefined) faults.push(`plan limit ${f.planLimit} rows`);
  if (f.budgetUsd !== undefined) faults.push(`budget $${f.budgetUsd} (${f.budgetMode})`);
  if (f.rateLimit !== undefined) faults.push(`rate limit ${f.rateLimit}/s (Retry-After: ${f.retryAfterMode})`);
  if (f.failRate !== undefined) faults.push(`fail rate ${Math.round(f.failRate * 1000) / 10} % (seed ${emulator.seed})`);
  if (f.latencyMs !== undefined) faults.push(`latency ${f.latencyMs} ms`);
  const keyHint = plan.apiKey.shown === DEFAULT_EMULATOR_KEY ? ` OPSMETER_API_KEY=${DEFAULT_EMULATOR_KEY}` : '';
  const restored = emulator.restored;
  const storeLines: string[] = [];
  if (plan.store !== undefined && restored) {
    storeLines.push(`  store ${plan.store}: ${restored.rows > 0 ? `${restored.rows} rows restored (dedupe, plan count and spend carry on)` : 'new or empty'}; each accepted row is written before its 200`);
    if (restored.tornLine) {
      storeLines.push(
        c.yellow(`  warning: store ${plan.store}: dropped a torn last line (line ${restored.tornLine.line}, ${restored.tornLine.bytes} bytes): a write cut short by a crash; it was never acknowledged, so its client resends it`),
      );
    }
  }
  return [
    `opsmeter emulate: listening on ${c.bold(emulator.url)}`,
    `  API key (X-API-Key): ${plan.apiKey.shown}`,
    `  dashboard token (Authorization: Bearer): ${plan.bearerToken.shown}`,
    ...(faults.length > 0 ? [`  faults: ${faults.join(' · ')}`] : []),
    ...storeLines,
    `  try: OPSMETER_API_BASE_URL=${emulator.url}${keyHint} opsmeter send --test`,
    '  stop with Ctrl+C',
  ].join('\n');
}

function startError(e: NodeJS.ErrnoException, plan: EmulatePlan): Error {
  switch (e.syscall === 'open' ? 'store' : e.code) {
    case 'store':
      return new OpsmeterError(e.message, EXIT.usage, 'check that the directory exists and is writable');
    case 'EADDRINUSE':
      return new OpsmeterError(`port ${plan.port} is in use; try --port 0`, EXIT.usage);
    case 'EACCES':
      return new OpsmeterError(`no permission to listen on port ${plan.port}`, EXIT.usage, 'ports below 1024 need privileges; try --port 0');
    case 'EADDRNOTAVAIL':
      return new OpsmeterError(`cannot listen on ${plan.host}: no such local address`, EXIT.usage);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new OpsmeterError(`cannot resolve --host ${plan.host}`, EXIT.usage);
    default:
      return e;
  }
}
