/**
 * One complete send, as `opsmeter send` runs it and as `import --send` will: flags →
 * target, key, journal, client → Sender over the given items → summary and exit code.
 * Adds what a person at a terminal needs around the sender: live notices (throttling,
 * stops, rejections), a progress line on a TTY, --verbose request dumps with the key
 * redacted, and SIGINT/SIGTERM handling (stop issuing, let in-flight requests finish, write
 * the journal and the summary, exit 130 for SIGINT, 143 for SIGTERM; a second signal exits at once).
 *
 *   const code = await runSendSession(items, flags, { catalog, seed });
 */
import type { Catalog } from '../contract/catalog.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { ProgressLine, type Paint } from '../terminal.js';
import { paint, useColor } from './output.js';
import { API_KEY_HINT, endpointUrl, redactKey, resolveApiKey, resolveTargetChecked, type Target } from '../ingest/config.js';
import { readJournal, Journal } from '../ingest/journal.js';
import { DEMO_INGEST_PATH, INGEST_PATH, Sender, type EventResult, type SendItem, type SendReport } from '../ingest/sender.js';
import { DEFAULT_POLICY } from '../ingest/retry.js';
import { sendExitCode, summaryJson, summaryText, type SummaryContext } from '../ingest/send-summary.js';

/** The send flags as commander parses them (see addSendOptions in cli/send.ts). */
export interface SendFlags {
  baseUrl?: string;
  apiKeyFile?: string;
  allowReal?: boolean;
  allowInsecure?: boolean;
  useDemoEndpoint?: boolean;
  concurrency: number;
  rate?: number;
  timeout: number;
  maxRetries: number;
  dryRun?: boolean;
  journal?: string;
  verbose?: boolean;
  format: 'pretty' | 'json';
}

export interface SessionContext {
  catalog: Catalog;
  /** Rule settings for the local check (opsmeter.config.json, --rule). */
  rules?: RulePolicy;
  /** How many events there will be, when known up front (generated events, small JSONL files): the progress line then shows total and ETA. */
  total?: number;
  /** Seed of generated events, shown in the summary. */
  seed?: string;
  /** Streams, overridable for tests. */
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
}

/** Live lines for problems are capped; the summary and the journal have the rest. */
const LIVE_PROBLEM_LINES = 10;
const THROTTLE_NOTICE_EVERY_MS = 5_000;

export async function runSendSession(items: AsyncIterable<SendItem> | Iterable<SendItem>, flags: SendFlags, ctx: SessionContext): Promise<number> {
  const stdout = ctx.stdout ?? process.stdout;
  const stderr = ctx.stderr ?? process.stderr;
  const env = ctx.env ?? process.env;
  const target: Target = await resolveTargetChecked(flags, env);
  const path = flags.useDemoEndpoint ? DEMO_INGEST_PATH : INGEST_PATH;
  const url = endpointUrl(target, path);
  const color = flags.format === 'pretty' && useColor(stderr);
  const c = paint(color);

  const previous = flags.journal ? await readJournal(flags.journal) : undefined;
  const summaryCtx: SummaryContext = { url: url.href, dryRun: flags.dryRun === true };
  if (ctx.seed !== undefined) summaryCtx.seed = ctx.seed;
  if (flags.journal) summaryCtx.journal = flags.journal;

  if (flags.dryRun) {
    const report = await dryRun(items, flags, ctx, previous?.accepted, stdout);
    writeSummary(report, summaryCtx, flags, stderr, stderr, c);
    return report.outcomes['not-sent'] > 0 ? 1 : 0;
  }

  const key = resolveApiKey(flags, env);
  if (!key) throw new OpsmeterError('no API key', EXIT.usage, API_KEY_HINT);
  const apiKey = key.key;
  const redact = (s: string) => redactKey(s, apiKey);

  const journal: Journal | undefined = flags.journal ? await Journal.open(flags.journal) : undefined;
  if (previous && previous.accepted.size > 0 && flags.format === 'pretty') {
    stderr.write(`journal ${flags.journal}: ${previous.accepted.size} event${previous.accepted.size === 1 ? '' : 's'} already accepted will be skipped\n`);
  }
  if (journal && ctx.seed !== undefined) summaryCtx.journalHint = `pass --seed ${ctx.seed} with the same --journal to resume`;

  const { createClient } = await import('../ingest/client.js'); // undici: only when really sending
  const client = createClient({ target, apiKey, timeoutMs: flags.timeout, connections: flags.concurrency, env });
  const progress = new ProgressLine(stderr, stderr.isTTY === true && !flags.verbose);
  const note = (line: string) => progress.note(line);
  const live = { rejected: 0, gaveUp: 0, invalid: 0 };
  const liveProblems = stderr.isTTY === true;
  let lastThrottleNotice = 0;

  const sender: Sender = new Sender(
    {
      client,
      catalog: ctx.catalog,
      concurrency: flags.concurrency,
      rate: flags.rate ?? (target.loopback ? undefined : 20),
      policy: { ...DEFAULT_POLICY, maxRetries: flags.maxRetries },
      allowReal: flags.allowReal === true,
      path,
      alreadyAccepted: previous?.accepted,
      rules: ctx.rules,
    },
    {
      onResult(r: EventResult) {
        if (r.message !== undefined) r.message = redact(r.message);
        journal?.record(r);
        // Live problem lines help on a long interactive run; in a log the summary lists them.
        if (flags.format !== 'pretty' || !liveProblems) return;
        const kind = r.outcome === 'rejected' ? 'rejected' : r.outcome === 'gave-up' ? 'gaveUp' : r.notSentReason === 'invalid' ? 'invalid' : undefined;
        if (!kind || ++live[kind] > LIVE_PROBLEM_LINES) return;
        const label = kind === 'rejected' ? 'rejected' : kind === 'gaveUp' ? 'gave up' : 'invalid, not sent';
        const who = [r.where, r.externalRequestId].filter(Boolean).join(' ');
        note(`${c.red(label)}: ${who}: ${r.status !== undefined ? `HTTP ${r.status}: ` : ''}${r.message ?? ''}${live[kind] === LIVE_PROBLEM_LINES ? c.dim(' (further ones only in the summary)') : ''}`);
      },
      onThrottle(ms) {
        const now = Date.now();
        if (flags.format !== 'pretty' || (!flags.verbose && now - lastThrottleNotice < THROTTLE_NOTICE_EVERY_MS)) return;
        lastThrottleNotice = now;
        note(c.yellow(`throttled, retrying after ${Math.max(1, Math.ceil(ms / 1000))}s`));
      },
      onStop(reason, verdict) {
        const inFlight = `${sender.inFlight} request${sender.inFlight === 1 ? '' : 's'} in flight`;
        if (reason === 'interrupted') {
          const by = sender.progress.interruptedBy === 'SIGTERM' ? 'terminated (SIGTERM)' : 'interrupted';
          note(c.yellow(`${by}: waiting for ${inFlight} (Ctrl-C again to quit at once)`));
        } else if (reason === 'unreachable') {
          if (flags.format === 'pretty') note(c.bold(`stopping: the server at ${url.origin} is unreachable (${sender.progress.stop?.message ?? 'connections keep failing'}); letting ${inFlight} finish`));
        } else if (flags.format === 'pretty') {
          const why = reason === 'paused' ? 'telemetry paused by the plan limit' : reason === 'blocked' ? 'budget hard stop' : 'the API key was refused';
          note(c.bold(`stopping: HTTP ${verdict && 'status' in verdict ? verdict.status : ''} (${why}); letting ${inFlight} finish`));
        }
      },
      onAttempt: flags.verbose
        ? (a) => {
            const lines = [
              `> POST ${url.href}${a.attempt > 0 ? ` (retry ${a.attempt})` : ''}`,
              '> Content-Type: application/json',
              '> X-API-Key: ***',
              `> ${redact(a.body)}`,
            ];
            if (a.exchange.kind === 'response') {
              lines.push(`< ${a.exchange.status} (${Math.round(a.exchange.elapsedMs)} ms) → ${a.verdict.kind}`);
              for (const h of ['retry-after', 'content-type']) {
                const v = a.exchange.headers[h];
                if (v !== undefined) lines.push(`< ${h}: ${Array.isArray(v) ? v.join(', ') : v}`);
              }
              lines.push(`< ${redact(a.exchange.body)}`);
            } else {
              lines.push(`< no response: ${a.exchange.message} [${a.exchange.code}] → ${a.verdict.kind}`);
            }
            stderr.write(lines.join('\n') + '\n');
          }
        : undefined,
    },
  );

  // SIGTERM (a service manager, `timeout`, a CI cancel) ends the run the same orderly way as
  // Ctrl-C: no request is issued after it, the ones in flight are awaited, and every outcome
  // reaches the journal before the summary.
  let interrupts = 0;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
    interrupts++;
    if (interrupts > 1) {
      stderr.write(`\n${signal === 'SIGTERM' ? 'terminated' : 'interrupted'} twice: quitting without waiting\n`);
      process.exit(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted);
    }
    sender.stop('interrupted', undefined, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startedAt = Date.now();
  progress.start(() => {
    const p = sender.progress;
    const done = Object.values(p.outcomes).reduce((a, b) => a + b, 0) + p.skipped;
    return progressText({ done, accepted: p.outcomes.accepted, retrying: sender.waiting, inFlight: sender.inFlight, requests: p.requests }, (Date.now() - startedAt) / 1000, ctx.total);
  });
  let report: SendReport;
  try {
    report = await sender.run(items);
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await client.close();
  }
  try {
    await journal?.close();
  } catch (e) {
    stderr.write(`opsmeter: ${(e as Error).message}\n`);
  }
  if (report.interrupted && !process.stdin.isTTY) process.stdin.destroy();
  writeSummary(report, summaryCtx, flags, stdout, stderr, c);
  return sendExitCode(report);
}

export interface ProgressCounts {
  /** Events finished (any outcome) or skipped. */
  done: number;
  accepted: number;
  retrying: number;
  inFlight: number;
  requests: number;
}

/**
 * The progress line: counts and request rate, and with a known total "n/total (p%)" and an
 * ETA from the events finished so far (none until a second has passed and something ended).
 */
export function progressText(c: ProgressCounts, secs: number, total?: number): string {
  const rate = secs > 0 ? (c.requests / secs).toFixed(1) : '0.0';
  const sent = total !== undefined && total > 0 ? `${c.done}/${total} (${Math.floor((100 * Math.min(c.done, total)) / total)}%)` : String(c.done);
  let eta = '';
  if (total !== undefined && total > c.done && c.done > 0 && secs >= 1) eta = ` · ETA ${duration(((total - c.done) * secs) / c.done)}`;
  return `sent ${sent} · accepted ${c.accepted} · retrying ${c.retrying} · in flight ${c.inFlight} · ${rate} req/s${eta}`;
}

function duration(secs: number): string {
  const s = Math.ceil(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function writeSummary(report: SendReport, ctx: SummaryContext, flags: SendFlags, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream, c: Paint): void {
  if (flags.format === 'json') (ctx.dryRun ? stderr : stdout).write(JSON.stringify(summaryJson(report, ctx), null, 2) + '\n');
  else stderr.write(summaryText(report, ctx, c));
}

/**
 * --dry-run: the sender itself in dry-run mode (so the checks are the very ones a real send
 * makes); what would be sent goes to stdout as JSONL, in 64 KB writes that honour back-pressure.
 */
async function dryRun(
  items: AsyncIterable<SendItem> | Iterable<SendItem>,
  flags: SendFlags,
  ctx: SessionContext,
  alreadyAccepted: ReadonlySet<string> | undefined,
  stdout: NodeJS.WritableStream,
): Promise<SendReport> {
  let buffer = '';
  const sender = new Sender({
    catalog: ctx.catalog,
    rules: ctx.rules,
    concurrency: 1,
    allowReal: flags.allowReal === true,
    alreadyAccepted,
    async dryRun(value) {
      buffer += JSON.stringify(value) + '\n';
      if (buffer.length > 64 * 1024) {
        const chunk = buffer;
        buffer = '';
        if (!stdout.write(chunk)) await new Promise((r) => stdout.once('drain', r));
      }
    },
  });
  const report = await sender.run(items);
  if (buffer) await new Promise<void>((resolve) => stdout.write(buffer, () => resolve()));
  return report;
}
