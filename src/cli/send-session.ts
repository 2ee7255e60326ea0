/**
 * One complete send, as `opsmeter send` runs it and as `import --send` does: a checked plan
 * (send-plan.ts) → target, key, journal, client → Sender over the given items → summary and
 * exit code. Adds what a person at a terminal needs around the sender: live notices
 * (throttling, stops, rejections), a progress line on a TTY, --verbose request dumps with the
 * key redacted, and SIGINT/SIGTERM/SIGHUP handling (signals.ts: stop issuing, let in-flight
 * requests finish, write the journal and the summary, exit 130, 143 or 129; a second signal
 * exits at once). A journal that cannot be written stops the send too, and the run exits 2.
 *
 *   const code = await runSendSession(items, plan.session, { catalog, seed });
 */
import type { Catalog } from '../contract/catalog.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import { EXIT, isSignalExit, OpsmeterError, SIGNAL_WORDS } from '../errors.js';
import { ProgressLine, type Paint } from '../terminal.js';
import { paint, useColor } from './output.js';
import type { SessionPlan } from './send-plan.js';
import { onStopSignal } from './signals.js';
import { API_KEY_HINT, endpointUrl, redactKey, resolveApiKey, resolveTargetChecked, type Env, type Target } from '../ingest/config.js';
import { readJournal, Journal, type JournalError } from '../ingest/journal.js';
import { DEMO_INGEST_PATH, INGEST_PATH, Sender, type EventResult, type SendItem, type SendReport } from '../ingest/sender.js';
import { DEFAULT_POLICY } from '../ingest/retry.js';
import { sendExitCode, summaryJson, summaryText, type SummaryContext } from '../ingest/send-summary.js';

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

/**
 * The plan's steps that need I/O: a `*.localhost` name looked up (is it this machine?) and the
 * API key read (from --api-key-file or the environment; none for a dry run). `import --send`
 * calls it before the import starts, so a wrong key file does not cost a long import.
 */
export async function openTarget(plan: SessionPlan, env: Env): Promise<{ target: Target; apiKey?: string }> {
  const target = await resolveTargetChecked(plan.target, env);
  if (plan.dryRun) return { target };
  const key = resolveApiKey(plan.target, env);
  if (!key) throw new OpsmeterError('no API key', EXIT.usage, API_KEY_HINT);
  return { target, apiKey: key.key };
}

/** Live lines for problems are capped; the summary and the journal have the rest. */
const LIVE_PROBLEM_LINES = 10;
const THROTTLE_NOTICE_EVERY_MS = 5_000;

export async function runSendSession(items: AsyncIterable<SendItem> | Iterable<SendItem>, plan: SessionPlan, ctx: SessionContext): Promise<number> {
  const stdout = ctx.stdout ?? process.stdout;
  const stderr = ctx.stderr ?? process.stderr;
  const env = ctx.env ?? process.env;
  const { target, apiKey } = await openTarget(plan, env);
  const path = plan.useDemoEndpoint ? DEMO_INGEST_PATH : INGEST_PATH;
  const url = endpointUrl(target, path);
  const color = plan.format === 'pretty' && useColor(stderr);
  const c = paint(color);

  const previous = plan.journal ? await readJournal(plan.journal) : undefined;
  const summaryCtx: SummaryContext = { url: url.href, dryRun: plan.dryRun };
  if (ctx.seed !== undefined) summaryCtx.seed = ctx.seed;
  if (plan.journal) summaryCtx.journal = plan.journal;

  if (plan.dryRun || apiKey === undefined) {
    const report = await dryRun(items, plan, ctx, previous?.accepted, stdout);
    writeSummary(report, summaryCtx, plan, stderr, stderr, c);
    return report.outcomes['not-sent'] > 0 ? 1 : 0;
  }
  const redact = (s: string) => redactKey(s, apiKey);

  // A journal that cannot be written stops the sending: what it lacks, a resume sends again.
  let stopOnJournalFailure: (e: JournalError) => void = () => {};
  const journal: Journal | undefined = plan.journal ? await Journal.open(plan.journal, (e) => stopOnJournalFailure(e)) : undefined;
  if (previous && previous.accepted.size > 0 && plan.format === 'pretty') {
    stderr.write(`journal ${plan.journal}: ${previous.accepted.size} event${previous.accepted.size === 1 ? '' : 's'} already accepted will be skipped\n`);
  }
  if (journal && ctx.seed !== undefined) summaryCtx.journalHint = `pass --seed ${ctx.seed} with the same --journal to resume`;

  const { createClient } = await import('../ingest/client.js'); // undici: only when really sending
  const client = createClient({ target, apiKey, timeoutMs: plan.timeout, connections: plan.concurrency, env });
  const progress = new ProgressLine(stderr, stderr.isTTY === true && !plan.verbose);
  const note = (line: string) => progress.note(line);
  const live = { rejected: 0, gaveUp: 0, invalid: 0 };
  const liveProblems = stderr.isTTY === true;
  let lastThrottleNotice = 0;

  const sender: Sender = new Sender(
    {
      client,
      catalog: ctx.catalog,
      concurrency: plan.concurrency,
      rate: plan.rate ?? (target.loopback ? undefined : 20),
      policy: { ...DEFAULT_POLICY, maxRetries: plan.maxRetries },
      giveUpAfterMs: plan.giveUpAfterMs,
      allowReal: plan.allowReal,
      path,
      alreadyAccepted: previous?.accepted,
      rules: ctx.rules,
    },
    {
      onResult(r: EventResult) {
        if (r.message !== undefined) r.message = redact(r.message);
        journal?.record(r);
        // Live problem lines help on a long interactive run; in a log the summary lists them.
        if (plan.format !== 'pretty' || !liveProblems) return;
        const kind = r.outcome === 'rejected' ? 'rejected' : r.outcome === 'gave-up' || r.outcome === 'not-api' ? 'gaveUp' : r.notSentReason === 'invalid' ? 'invalid' : undefined;
        if (!kind || ++live[kind] > LIVE_PROBLEM_LINES) return;
        const label = kind === 'rejected' ? 'rejected' : r.outcome === 'not-api' ? 'not the API' : kind === 'gaveUp' ? 'gave up' : 'invalid, not sent';
        const who = [r.where, r.externalRequestId].filter(Boolean).join(' ');
        note(`${c.red(label)}: ${who}: ${r.status !== undefined ? `HTTP ${r.status}: ` : ''}${r.message ?? ''}${live[kind] === LIVE_PROBLEM_LINES ? c.dim(' (further ones only in the summary)') : ''}`);
      },
      onThrottle(ms) {
        const now = Date.now();
        if (plan.format !== 'pretty' || (!plan.verbose && now - lastThrottleNotice < THROTTLE_NOTICE_EVERY_MS)) return;
        lastThrottleNotice = now;
        note(c.yellow(`throttled, retrying after ${Math.max(1, Math.ceil(ms / 1000))}s`));
      },
      onStop(reason, verdict) {
        const inFlight = `${sender.inFlight} request${sender.inFlight === 1 ? '' : 's'} in flight`;
        if (reason === 'interrupted') {
          note(c.yellow(`${SIGNAL_WORDS[sender.progress.interruptedBy ?? 'SIGINT']}: waiting for ${inFlight} (Ctrl-C again to quit at once)`));
        } else if (reason === 'unreachable') {
          const stop = sender.progress.stop;
          const what = stop?.unreachable === false ? `no answer from the API at ${url.origin}` : `the server at ${url.origin} is unreachable`;
          if (plan.format === 'pretty') note(c.bold(`stopping: ${what} (${stop?.message ?? 'connections keep failing'}); letting ${inFlight} finish`));
        } else if (reason === 'journal-failed') {
          note(c.bold(`stopping: ${sender.progress.stop?.message ?? 'the journal cannot be written'}; letting ${inFlight} finish`));
        } else if (plan.format === 'pretty') {
          const why = reason === 'paused' ? 'telemetry paused by the plan limit' : reason === 'blocked' ? 'budget hard stop' : 'the API key was refused';
          note(c.bold(`stopping: HTTP ${verdict && 'status' in verdict ? verdict.status : ''} (${why}); letting ${inFlight} finish`));
        }
      },
      onAttempt: plan.verbose
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

  stopOnJournalFailure = (e) => sender.stop('journal-failed', undefined, undefined, { message: e.message });
  // SIGTERM (a service manager, `timeout`, a CI cancel) and SIGHUP (the terminal closed) end
  // the run the same orderly way as Ctrl-C: no request is issued after it, the ones in flight
  // are awaited, and every outcome reaches the journal before the summary.
  const stopListening = onStopSignal((signal) => sender.stop('interrupted', undefined, signal));
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
    stopListening();
    await client.close();
  }
  let journalFailure: string | undefined;
  try {
    await journal?.close();
  } catch (e) {
    journalFailure = (e as Error).message;
  }
  if (report.interrupted && !process.stdin.isTTY) process.stdin.destroy();
  writeSummary(report, summaryCtx, plan, stdout, stderr, c);
  let code: number = sendExitCode(report);
  if (journalFailure !== undefined) {
    // Seen only as the journal was closed (its last writes): said after the summary.
    if (report.stop?.reason !== 'journal-failed') stderr.write(`opsmeter: ${journalFailure}\n`);
    if (!isSignalExit(code)) code = EXIT.usage;
  }
  return code;
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

function writeSummary(report: SendReport, ctx: SummaryContext, plan: SessionPlan, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream, c: Paint): void {
  if (plan.format === 'json') (ctx.dryRun ? stderr : stdout).write(JSON.stringify(summaryJson(report, ctx), null, 2) + '\n');
  else stderr.write(summaryText(report, ctx, c));
}

/**
 * --dry-run: the sender itself in dry-run mode (so the checks are the very ones a real send
 * makes); what would be sent goes to stdout as JSONL, in 64 KB writes that honour back-pressure.
 */
async function dryRun(
  items: AsyncIterable<SendItem> | Iterable<SendItem>,
  plan: SessionPlan,
  ctx: SessionContext,
  alreadyAccepted: ReadonlySet<string> | undefined,
  stdout: NodeJS.WritableStream,
): Promise<SendReport> {
  let buffer = '';
  const sender = new Sender({
    catalog: ctx.catalog,
    rules: ctx.rules,
    concurrency: 1,
    allowReal: plan.allowReal,
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
