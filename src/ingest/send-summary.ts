/**
 * The end-of-run summary of a send (pretty for people, JSON for machines) and the exit
 * code it maps to (docs/send.md "Exit codes"): 0 all accepted · 1 some rejected or not sendable ·
 * 2 the journal could not be written · 3 stopped by a 402 · 4 auth failed · 5 gave up, answers
 * that were not the API's, or the server given up on · 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM.
 */
import { EXIT, SIGNAL_EXIT, SIGNAL_WORDS, type ExitCode } from '../errors.js';
import type { Paint } from '../terminal.js';
import type { EventResult, SendReport, SendStopReason } from './sender.js';

export interface SummaryContext {
  /** Full URL events were posted to. */
  url: string;
  dryRun: boolean;
  /** Seed of generated events (to repeat or resume the run). */
  seed?: string;
  journal?: string;
  journalHint?: string;
}

export function sendExitCode(r: SendReport): ExitCode {
  if (r.interrupted) return SIGNAL_EXIT[r.interruptedBy ?? 'SIGINT'];
  if (r.stop?.reason === 'journal-failed') return EXIT.usage;
  if (r.outcomes.unauthorized > 0 || r.stop?.reason === 'unauthorized') return EXIT.auth;
  if (r.outcomes.paused + r.outcomes.blocked > 0) return EXIT.policy;
  if (r.outcomes['gave-up'] + r.outcomes['not-api'] > 0 || r.stop?.reason === 'unreachable') return EXIT.gaveUp;
  if (r.outcomes.rejected > 0 || r.notSent.invalid > 0 || r.notSent['real-data'] > 0) return EXIT.failed;
  return EXIT.ok;
}

const secs = (ms: number) => (ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000).toString());

function requestsPerSecond(r: SendReport): number {
  return r.elapsedMs > 0 ? (r.requests * 1000) / r.elapsedMs : 0;
}

/** The words for a stop, shared by the live notice and the summary. */
export function stopMessage(r: Pick<SendReport, 'stop' | 'interruptedBy'>): string[] {
  const s = r.stop;
  if (!s) return [];
  switch (s.reason) {
    case 'paused':
      return [
        'telemetry is paused: the workspace reached its plan\'s request limit (402 plan_limit_reached).',
        'Your LLM calls keep running; only telemetry ingest is on hold until the plan limit is raised (upgrade the plan, or wait for the next billing period).',
      ];
    case 'blocked':
      return [
        `ingest stopped by the workspace's budget hard stop (402${s.serverReason ? ` reason ${s.serverReason}` : ''}${s.message && s.message !== s.serverReason ? `: ${s.message}` : ''}).`,
        'Raise the budget limit or switch the workspace\'s budget policy to warn-only in Settings; LLM calls themselves are not affected.',
      ];
    case 'unauthorized':
      return [
        `the API key was refused (HTTP ${s.status ?? '401/403'}${s.message ? `: ${s.message}` : ''}).`,
        'Check that OPSMETER_API_KEY (or the file given to --api-key-file) holds a current workspace key (Settings → API keys).',
      ];
    case 'unreachable':
      return [
        s.unreachable === false
          ? `gave up on the server: ${s.message ?? 'no answer of the API\'s'}. Stopped issuing; the rest was not sent.`
          : `the server is unreachable: ${s.message ?? 'connection attempts keep failing'}. Stopped issuing; the rest was not sent.`,
        'Check the URL (--base-url / OPSMETER_API_BASE_URL), the network and any proxy (--give-up-after waits longer); with --journal a re-run sends only what was not accepted.',
      ];
    case 'journal-failed':
      return [
        `${s.message ?? 'the journal could not be written'}. Stopped sending: an outcome that cannot be recorded would be sent again by a resume.`,
        'Free space (or fix the permissions) and run again with the same --journal: events accepted meanwhile that it lacks are sent again and counted once by the API.',
      ];
    case 'interrupted':
      return [`${SIGNAL_WORDS[r.interruptedBy ?? 'SIGINT']}: stopped issuing requests and let the ones in flight finish.`];
  }
}

function describeResult(e: EventResult): string {
  const who = [e.where, e.externalRequestId].filter(Boolean).join(' ');
  const status = e.status !== undefined ? `HTTP ${e.status}: ` : '';
  return `${who || '(event)'}: ${status}${e.message ?? ''}${e.hint ? `\n        hint: ${e.hint}` : ''}`;
}

export function summaryText(r: SendReport, ctx: SummaryContext, c: Paint): string {
  const out: string[] = [];
  const o = r.outcomes;
  const done = Object.values(o).reduce((a, b) => a + b, 0);
  if (ctx.dryRun) {
    const would = r.read - r.skipped - r.notSent.invalid - r.notSent['real-data'];
    out.push(`dry run: ${would} of ${r.read} event${r.read === 1 ? '' : 's'} would be sent to ${ctx.url}; nothing was sent`);
  } else {
    out.push(
      `${done} event${done === 1 ? '' : 's'} → ${ctx.url} in ${secs(r.elapsedMs)} s (${r.requests} request${r.requests === 1 ? '' : 's'}, ${requestsPerSecond(r).toFixed(1)} req/s)`,
    );
  }
  const row = (mark: string, label: string, n: number, note = '') => out.push(`  ${mark} ${label.padEnd(13)}${String(n).padStart(7)}${note ? '  ' + note : ''}`);
  if (!ctx.dryRun) {
    row(o.accepted === done && done > 0 ? c.green('✔') : c.green('•'), 'accepted', o.accepted);
    if (o.paused) row(c.yellow('■'), 'paused (402)', o.paused, 'plan limit reached: telemetry paused');
    if (o.blocked) row(c.yellow('■'), 'blocked (402)', o.blocked, 'budget hard stop (not the plan limit)');
    if (o.unauthorized) row(c.red('✖'), 'unauthorized', o.unauthorized);
    if (o.rejected) row(c.red('✖'), 'rejected', o.rejected, 'the API refused them (4xx); not retried');
    if (o['not-api']) row(c.red('✖'), 'not the API', o['not-api'], '2xx answers that were not the Opsmeter API\'s (a proxy or portal?); not accepted');
    if (o['gave-up']) row(c.red('✖'), 'gave up', o['gave-up'], 'throttling, 5xx or network errors after retries');
  }
  const ns = r.notSent;
  const notSentParts = [
    ns.invalid ? `${ns.invalid} invalid` : '',
    ns['real-data'] ? `${ns['real-data']} dataMode real refused` : '',
    ns.stopped ? `${ns.stopped} after the stop` : '',
  ].filter(Boolean);
  if (o['not-sent']) row(c.yellow('○'), 'not sent', o['not-sent'], notSentParts.join(', '));
  if (r.skipped) row(c.dim('↷'), 'skipped', r.skipped, 'already accepted according to the journal');
  if (r.throttledResponses) {
    row(c.yellow('!'), 'throttled', r.throttledResponses, `429 responses on ${r.throttledEvents} event${r.throttledEvents === 1 ? '' : 's'}; waited Retry-After and retried with the same externalRequestId`);
  }
  if (r.failedResponses) row(c.yellow('!'), 'failed tries', r.failedResponses, '5xx / network / timeout; retried with backoff');
  if (r.notApiResponses) row(c.yellow('!'), 'foreign 2xx', r.notApiResponses, 'answers that were not the API\'s JSON; retried, never counted as accepted');
  if (r.retries) row(' ', 'retries', r.retries);
  if (r.inputLeftUnread) out.push(`  ${c.yellow('○')} the rest of the input was not read (interrupted)`);

  const a = r.accepted;
  const flags: string[] = [];
  if (a.planTier) flags.push(`plan tier ${a.planTier}`);
  if (o.accepted > 0 || a.warningCount > 0) flags.push(`${a.warningCount} warning${a.warningCount === 1 ? '' : 's'}`);
  if (a.budgetWarning) flags.push(c.yellow('budget warning threshold reached'));
  // A budget is a spend policy, the plan limit a request quota: never call one the other.
  if (a.budgetExceeded) flags.push(c.yellow(o.blocked ? 'budget exceeded' : 'budget exceeded (soft stop: rows still accepted)'));
  if (a.planLimitReached) flags.push(c.yellow('plan limit reached (telemetry paused)'));
  else if (a.telemetryPaused) flags.push(c.yellow('telemetry paused'));
  if (a.freeLimitRemainingRequests !== undefined && a.planLimitRequests) flags.push(`${a.freeLimitRemainingRequests} of ${a.planLimitRequests} plan requests left`);
  if (a.okFalse) flags.push(c.yellow(`${a.okFalse} success response${a.okFalse === 1 ? '' : 's'} said ok=false`));
  if (flags.length) out.push(`  ${flags.join(' · ')}`);
  if (a.warnings.size) {
    const top = [...a.warnings].sort((x, y) => y[1] - x[1]).slice(0, 5);
    for (const [w, n] of top) out.push(`    warning: ${w}${n > 1 ? ` (×${n})` : ''}`);
    if (a.warnings.size > 5) out.push(`    … and ${a.warnings.size - 5} other warnings`);
  }
  if (r.eventsWithLintWarnings) out.push(`  ${r.eventsWithLintWarnings} sent event${r.eventsWithLintWarnings === 1 ? ' has' : 's have'} lint warnings (run opsmeter validate on the input for details)`);
  if (r.eventsWithoutId) out.push(`  ${r.eventsWithoutId} event${r.eventsWithoutId === 1 ? ' has' : 's have'} no externalRequestId: not retried after ambiguous failures, and a re-run cannot skip them`);

  const listSamples = (title: string, list: EventResult[], total: number) => {
    if (!list.length) return;
    out.push(`  ${title}:`);
    for (const e of list) out.push(`    ${describeResult(e)}`);
    if (total > list.length) out.push(`    … and ${total - list.length} more${ctx.journal ? ` (all in ${ctx.journal})` : ''}`);
  };
  listSamples('rejected by the API', r.samples.rejected, o.rejected);
  listSamples('invalid (not sent)', r.samples.invalid, ns.invalid);
  listSamples('refused: dataMode real (pass --allow-real to send production data)', r.samples.refusedReal, ns['real-data']);
  listSamples('not the API (a 2xx that is not its answer)', r.samples.notApi, o['not-api']);
  listSamples('gave up', r.samples.gaveUp, o['gave-up']);
  for (const line of stopMessage(r)) out.push(`  ${c.bold(line)}`);
  if (ctx.seed) out.push(`  seed ${ctx.seed}${ctx.journalHint ? ` (${ctx.journalHint})` : ''}`);
  if (ctx.journal) out.push(`  journal: ${ctx.journal}`);
  return out.join('\n') + '\n';
}

/** Which policy a 402 stop came from, in the words the summary uses: "plan limit" or "budget". */
export function stopPolicy(reason: SendStopReason): 'plan limit' | 'budget' | null {
  return reason === 'paused' ? 'plan limit' : reason === 'blocked' ? 'budget' : null;
}

export function summaryJson(r: SendReport, ctx: SummaryContext): object {
  const a = r.accepted;
  return {
    url: ctx.url,
    dryRun: ctx.dryRun,
    events: r.read,
    outcomes: r.outcomes,
    notSent: r.notSent,
    skipped: r.skipped,
    requests: r.requests,
    retries: r.retries,
    throttled: { responses: r.throttledResponses, events: r.throttledEvents },
    failedResponses: r.failedResponses,
    notApiResponses: r.notApiResponses,
    eventsWithLintWarnings: r.eventsWithLintWarnings,
    eventsWithoutExternalRequestId: r.eventsWithoutId,
    accepted: {
      planTier: a.planTier ?? null,
      warningCount: a.warningCount,
      warnings: Object.fromEntries(a.warnings),
      budgetWarning: a.budgetWarning,
      budgetExceeded: a.budgetExceeded,
      telemetryPaused: a.telemetryPaused,
      planLimitReached: a.planLimitReached,
      providerCallsContinue: a.providerCallsContinue ?? null,
      okFalse: a.okFalse,
      reasons: Object.fromEntries(a.reasons),
      freeLimitRemainingRequests: a.freeLimitRemainingRequests ?? null,
      planLimitRequests: a.planLimitRequests ?? null,
    },
    stop: r.stop
      ? {
          reason: r.stop.reason,
          policy: stopPolicy(r.stop.reason),
          status: r.stop.status ?? null,
          serverReason: r.stop.serverReason ?? null,
          message: stopMessage(r).join(' '),
        }
      : null,
    interrupted: r.interrupted,
    interruptedBy: r.interruptedBy ?? null,
    inputLeftUnread: r.inputLeftUnread,
    samples: r.samples,
    elapsedMs: Math.round(r.elapsedMs),
    requestsPerSecond: Math.round(requestsPerSecond(r) * 10) / 10,
    seed: ctx.seed ?? null,
    journal: ctx.journal ?? null,
    exitCode: sendExitCode(r),
  };
}
