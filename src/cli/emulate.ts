/**
 * `opsmeter emulate` — a local Opsmeter-compatible ingest server. Without a command it runs
 * until SIGINT/SIGTERM; with one (`emulate [flags] -- CMD ARGS…`) it runs the command against
 * itself and reports what the command sent (emulate-command.ts). The flags are range-checked
 * as they are parsed and planned by planEmulate (emulate-plan.ts); the action runs the plan.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { BUDGET_MODES, DEFAULT_EMULATOR_HOST, DEFAULT_EMULATOR_KEY, DEFAULT_EMULATOR_TOKEN, RETRY_AFTER_MODES } from '../emulator/constants.js';
import { printable } from '../emulator/printable.js';
import type { RequestReport } from '../emulator/report.js';
import type { AdminEvent, Emulator } from '../emulator/server.js';
import { usd } from '../emulator/usd.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { isLoopbackHost, resolvesToLoopback } from '../ingest/config.js';
import type { Paint } from '../terminal.js';
import { addConfigOptions, resolveSettings } from './config-options.js';
import { runCommand, shownCommand, StopSignals, type CommandExit } from './emulate-command.js';
import { LOG_FORMATS, planEmulate, type EmulateFlags, type EmulatePlan } from './emulate-plan.js';
import { paint, paintFor, useColor, writeOutput } from './output.js';
import { commandLine, orThrow, processEnv } from './plan.js';
import { catalogOption, describeCatalog, intArg, loadCatalog } from './shared.js';
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

const REPORT_FORMATS = ['pretty', 'json', 'github', 'sarif', 'junit'] as const;
/** Formats read by people (and GitHub's log) list at most this many problems, errors first, as validate's do. */
const HUMAN_REPORT_CAP = 1000;

export function defineCommand(cmd: Command): void {
  cmd
    .argument('[command...]', 'a command to run against the emulator, after -- (e.g. -- npm test): its telemetry is checked and reported')
    .option('--host <host>', 'interface to bind (loopback by default)', DEFAULT_EMULATOR_HOST)
    .option('-p, --port <port>', 'port to listen on; 0 picks a free one (default: 8787; a free one with a command)', portArg)
    .option('--api-key <key>', `the X-API-Key clients must send (default: OPSMETER_EMULATOR_API_KEY, else OPSMETER_API_KEY, else "${DEFAULT_EMULATOR_KEY}")`)
    .option('--bearer-token <token>', `the dashboard token the Bearer endpoints take (default: OPSMETER_EMULATOR_TOKEN, else "${DEFAULT_EMULATOR_TOKEN}")`)
    .option('--store <file>', 'durable JSONL store: loaded on start, each accepted row written before its 200; locked while in use')
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
    .option('-v, --verbose', 'log one line per request on stderr (method, path, status, outcome, id, rule ids), and each admin change')
    .addOption(new Option('--log-format <format>', 'the request log as text or JSON lines (prints it, as --verbose does)').choices([...LOG_FORMATS]))
    .option('--report <file>', 'write a report of every finding when the command ends or the emulator stops (- for stdout)')
    .addOption(new Option('-f, --format <format>', 'the report\'s format (default: pretty)').choices([...REPORT_FORMATS]))
    .option('--strict', 'with a command: warnings fail the run too')
    .option('--max-warnings <n>', 'with a command: fail (exit 1) above n warnings', intArg('--max-warnings', 0));
  addConfigOptions(cmd)
    .addHelpText(
      'after',
      `
Every payload received is linted as opsmeter validate lints it, with opsmeter.config.json,
--config and --rule; errors get 400 as the API answers, warnings are accepted and reported.
Endpoints: POST /v1/ingest/llm-request, POST /v1/ingest/demo,
           GET /v1/diagnostics/workspace-status, GET /v1/public/pricing-models (X-API-Key / none)
           GET /v1/settings/workspace-status, DELETE /v1/ingest/test-data?scope=mine|workspace,
           DELETE /v1/ingest/demo-data?scope=mine|workspace (Authorization: Bearer)
Admin API (the emulator's own, loopback only): GET /_emulator/requests, GET /_emulator/rows,
           POST /_emulator/reset, GET|PATCH /_emulator/faults
With a command: it runs with OPSMETER_API_BASE_URL, OPSMETER_BASE_URL, OPSMETER_API_KEY and
OPSMETER_EMULATOR_URL set, then the report. Exit code: the command's own if it failed, else
1 if a payload had an error (or warnings with --strict / above --max-warnings), else 0.
Without one: runs until SIGINT/SIGTERM, then exits 0. Exit 2: bad flag, port in use, store
locked or not writable, bad config.
Examples:
  opsmeter emulate
  opsmeter emulate -- python3 app.py
  opsmeter emulate --strict --report telemetry.sarif --format sarif -- npm test
  opsmeter emulate --port 0 --store rows.jsonl --verbose --log-format json
  opsmeter emulate --rate-limit 5 --fail-rate 0.2 --seed 7 --plan-limit 100
  opsmeter emulate --budget-usd 0.01 --budget-mode hard`,
    )
    .action(async (command: string[], flags: EmulateFlags, self: Command) => {
      process.exitCode = await runEmulate(orThrow(planEmulate(commandLine(command, flags, self), processEnv())));
    });
}

async function runEmulate(plan: EmulatePlan): Promise<number> {
  const [{ startEmulator }, { RequestReport }, { logLine }, settings] = await Promise.all([
    import('../emulator/server.js'),
    import('../emulator/report.js'),
    import('../emulator/request-log.js'),
    resolveSettings(plan.config),
  ]);
  const catalog = loadCatalog(plan.catalog ?? settings.catalog);
  const c = paint(useColor(process.stderr));
  const err = (line: string) => process.stderr.write(line + '\n');
  const report = new RequestReport({ listProblems: plan.report !== undefined });

  // Listen for the stop signal before printing the URL: a caller may signal as soon as it sees it.
  const signals = new StopSignals();
  // A *.localhost name is this machine only if it resolves there (see resolvesToLoopback).
  if (!isLoopbackHost(plan.host) && !(plan.host.toLowerCase().endsWith('.localhost') && (await resolvesToLoopback(plan.host)))) {
    err(c.yellow(`warning: binding ${printable(plan.host)}, which other machines may reach; the emulator is meant for local testing`));
  }
  // Without --store the rows still go to a file (a temporary one): GET /_emulator/rows reads them
  // back from it, and memory stays flat however many there are.
  const rowsDir = plan.store === undefined ? await mkdtemp(join(tmpdir(), 'opsmeter-emulate-')) : undefined;
  const dropRowsDir = () => (rowsDir === undefined ? Promise.resolve() : rm(rowsDir, { recursive: true, force: true }));
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      host: plan.host,
      port: plan.port,
      apiKey: plan.apiKey.value,
      bearerToken: plan.bearerToken.value,
      store: plan.store ?? join(rowsDir!, 'rows.jsonl'),
      storeDurable: plan.store !== undefined,
      ...plan.faults,
      catalog,
      keepRows: false,
      rules: settings.rules,
      onRequest: (r) => {
        report.add(r);
        if (plan.log) err(logLine(r, plan.log));
      },
      onAdmin: plan.verbose ? (e) => err(adminLine(e)) : undefined,
    });
  } catch (e) {
    signals.remove();
    await dropRowsDir();
    throw startError(e as NodeJS.ErrnoException, plan);
  }
  // One write, so a reader that sees the URL sees the whole banner.
  err(banner(plan, emulator, c));

  let ran: CommandExit | undefined;
  let stoppedBy: NodeJS.Signals | undefined;
  if (plan.command) ran = await runCommand(plan.command, commandEnv(emulator.url, plan.apiKey.value), signals);
  else stoppedBy = await signals.stopped;
  signals.remove();
  const s = emulator.stats();
  try {
    await emulator.close();
  } catch (e) {
    throw new OpsmeterError(`could not write the store ${printable(plan.store ?? '')}: ${(e as Error).message}`, EXIT.usage, 'rows accepted after the failure are missing from the file');
  } finally {
    await dropRowsDir();
  }
  // The report counts from the start; stats() from the last reset.
  if (ran) err(`opsmeter emulate: ${ran.summary}; it sent ${report.requests} request${report.requests === 1 ? '' : 's'}`);
  else {
    err(
      `opsmeter emulate: stopped (${stoppedBy}) after ${s.requests} requests: ${s.accepted} accepted, ${s.duplicates} duplicates${s.conflicts > 0 ? ` (${s.conflicts} conflicting)` : ''}, ` +
        `${s.throttled} throttled, ${s.failed} failed, ${s.rejected} rejected, ${s.unauthorized} unauthorized, ${s.paused} paused, ${s.blocked} blocked, ${s.deleted} rows deleted`,
    );
  }
  return finish(plan, report, { ran, catalog: describeCatalog(catalog), ruleSettings: settings.rules?.overrides, maxWarnings: plan.maxWarnings ?? settings.maxWarnings });
}

interface Finish {
  ran: CommandExit | undefined;
  catalog: string;
  ruleSettings: Readonly<Record<string, string>> | undefined;
  maxWarnings: number | undefined;
}

/** The summary on stderr, the report file, and the exit code. */
async function finish(plan: EmulatePlan, report: RequestReport, f: Finish): Promise<number> {
  const [{ summaryText }, { summaryLines }, { validateExitCode }, { VERSION }] = await Promise.all([
    import('../emulator/report.js'),
    import('../report/validate-summary.js'),
    import('../validate/validate.js'),
    import('../version.js'),
  ]);
  const format = plan.report?.format ?? 'pretty';
  const outcome = report.outcome(format === 'pretty' || format === 'github' ? HUMAN_REPORT_CAP : Infinity);
  try {
    const scope = `${report.requests} request${report.requests === 1 ? '' : 's'}, ${report.payloads} payload${report.payloads === 1 ? '' : 's'} received and checked against the contract (catalog ${f.catalog})`;
    const ctx = { strict: plan.strict, maxWarnings: f.maxWarnings, ruleSettings: f.ruleSettings, version: VERSION, catalog: f.catalog, scope, command: 'opsmeter emulate' };
    const c = paintFor(process.stderr);
    const verdict = validateExitCode(outcome, { strict: plan.strict, maxWarnings: f.maxWarnings });
    const code = f.ran ? (f.ran.code !== 0 ? f.ran.code : verdict) : EXIT.ok;
    // A server stopped before any client came has nothing to summarise.
    if (f.ran || report.requests > 0) {
      const lines = summaryText(report, c);
      if (report.requests === 0 && process.env.OPSMETER_DRY_RUN === '1') lines.push(c.yellow('  OPSMETER_DRY_RUN=1 is set: Opsmeter\'s examples send nothing then'));
      lines.push(...summaryLines(outcome, { ...ctx, paint: c }));
      if (f.ran) lines.push(f.ran.code !== 0 ? `  exit ${code}: the command's own` : `  exit ${code}`);
      process.stderr.write(lines.join('\n') + '\n');
    }
    if (plan.report) {
      const { loadRenderer } = await import('../report/index.js');
      const render = await loadRenderer(plan.report.format);
      const toFile = plan.report.file !== '-';
      await writeOutput(render(outcome, { ...ctx, paint: paint(plan.report.format === 'pretty' && !toFile && useColor(process.stdout)) }), plan.report.file);
      if (toFile) process.stderr.write(`  report written to ${printable(plan.report.file)}\n`);
    }
    return code;
  } finally {
    outcome.close();
  }
}

/**
 * What the command finds in its environment: the names Opsmeter's own examples read for the
 * base URL (OPSMETER_API_BASE_URL; the cost trackers fall back to OPSMETER_BASE_URL) and the
 * key, and the emulator's URL for the admin API. Opsmeter's SDKs read none (docs/emulate.md).
 */
function commandEnv(url: string, apiKey: string): NodeJS.ProcessEnv {
  return { ...process.env, OPSMETER_API_BASE_URL: url, OPSMETER_BASE_URL: url, OPSMETER_API_KEY: apiKey, OPSMETER_EMULATOR_URL: url };
}

function adminLine(e: AdminEvent): string {
  if (e.kind === 'reset') return `opsmeter emulate: reset (POST /_emulator/reset): ${e.rows} rows and ${e.requests} logged requests forgotten`;
  const settings = Object.entries(e.faults).map(([k, v]) => `${k}=${v === null ? 'none' : printable(String(v))}`);
  return `opsmeter emulate: faults changed (PATCH /_emulator/faults): ${settings.join(' ')}`;
}

/** What the server listens on, with which key and token, its faults and its store; how to point clients and SDKs at it. */
function banner(plan: EmulatePlan, emulator: Emulator, c: Paint): string {
  const f = plan.faults;
  const faults: string[] = [];
  if (f.planLimit !== undefined) faults.push(`plan limit ${f.planLimit} rows`);
  if (f.budgetUsd !== undefined) faults.push(`budget ${usd(f.budgetUsd)} (${f.budgetMode})`);
  if (f.rateLimit !== undefined) faults.push(`rate limit ${f.rateLimit}/s (Retry-After: ${f.retryAfterMode})`);
  if (f.failRate !== undefined) faults.push(`fail rate ${Math.round(f.failRate * 1000) / 10} % (seed ${emulator.seed})`);
  if (f.latencyMs !== undefined) faults.push(`latency ${f.latencyMs} ms`);
  const defaultKey = plan.apiKey.shown === DEFAULT_EMULATOR_KEY;
  const keyHint = defaultKey ? ` OPSMETER_API_KEY=${DEFAULT_EMULATOR_KEY}` : '';
  const restored = emulator.restored;
  const storeLines: string[] = [];
  if (plan.store !== undefined && restored) {
    const store = printable(plan.store);
    storeLines.push(`  store ${store}: ${restored.rows > 0 ? `${restored.rows} rows restored (dedupe, plan count and spend carry on)` : 'new or empty'}; each accepted row is written before its 200`);
    if (restored.staleLock) {
      storeLines.push(c.yellow(`  warning: store ${store}: took over the lock of an emulator that is gone (pid ${restored.staleLock.pid}, since ${printable(restored.staleLock.since)})`));
    }
    if (restored.tornLine) {
      storeLines.push(
        c.yellow(`  warning: store ${store}: dropped a torn last line (line ${restored.tornLine.line}, ${restored.tornLine.bytes} bytes): a write cut short by a crash; it was never acknowledged, so its client resends it`),
      );
    }
  }
  const url = emulator.url;
  const key = defaultKey ? `"${DEFAULT_EMULATOR_KEY}"` : 'your key';
  return [
    `opsmeter emulate: listening on ${c.bold(url)}`,
    `  API key (X-API-Key): ${plan.apiKey.shown}`,
    `  dashboard token (Authorization: Bearer): ${plan.bearerToken.shown}`,
    ...(faults.length > 0 ? [`  faults: ${faults.join(' · ')}`] : []),
    ...storeLines,
    `  direct clients (Opsmeter's examples): OPSMETER_API_BASE_URL=${url}${keyHint}`,
    `  SDKs (they read no variable): Node init({ apiKey: ${key}, telemetryBaseUrl: "${url}" }) · Python init(api_key=${key}, telemetry_base_url="${url}")`,
    `  admin (the emulator's own): ${url}/_emulator/requests · /rows · POST /reset · PATCH /faults`,
    plan.command
      ? `  running: ${printable(shownCommand(plan.command))} (OPSMETER_API_BASE_URL, OPSMETER_BASE_URL, OPSMETER_API_KEY, OPSMETER_EMULATOR_URL set)`
      : `  try: OPSMETER_API_BASE_URL=${url}${keyHint} opsmeter send --test`,
    ...(plan.command ? [] : ['  stop with Ctrl+C']),
  ].join('\n');
}

function startError(e: NodeJS.ErrnoException, plan: EmulatePlan): Error {
  if (e instanceof OpsmeterError) return e;
  switch (e.code === 'ELOCKED' ? 'locked' : e.syscall === 'open' ? 'store' : e.code) {
    case 'locked':
      return new OpsmeterError(e.message, EXIT.usage, (e as { hint?: string }).hint);
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
