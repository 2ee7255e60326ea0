/**
 * `opsmeter smoke`: the whole integration path, checked end to end. Against the embedded
 * emulator by default (no key, no network); against a real API with --base-url and a key,
 * sending only `test` events there. The checklist is SMOKE_CHECKS, a list of named checks, each
 * saying what it proves and where it applies; runSmoke runs them in order and the command prints
 * them as a ✔/✖ checklist, exiting 0 only if every check passed.
 *
 * Every piece is the real one: the same validator, generator, HTTP client, classifier,
 * sender and import pipeline the other commands use.
 */
import { join } from 'node:path';
import { lintPayload } from '../contract/lint.js';
import { expandPaths } from '../read/paths.js';
import { validateSources } from '../validate/validate.js';
import { classify } from '../ingest/classify.js';
import { cleanData } from '../ingest/clean.js';
import { generateEvents } from '../ingest/generate.js';
import { INGEST_PATH, Sender } from '../ingest/sender.js';
import { stopMessage, stopPolicy, summaryText } from '../ingest/send-summary.js';
import { fetchStatus } from '../ingest/status.js';
import { PLAIN } from '../terminal.js';
import { openSmokeContext, type CheckResult, type SmokeContext, type SmokeOptions } from './context.js';
import { SMOKE_IMPORT_SAMPLE, runSampleImport } from './sample-import.js';

export type { CheckResult, SmokeOptions };

export interface SmokeReport {
  target: string;
  embedded: boolean;
  checks: CheckResult[];
}

export interface SmokeCheck {
  /** The checklist line; `needs` refers to a check by it. */
  name: string;
  /** What a pass proves about the integration. */
  proves: string;
  /**
   * Where it applies: 'any' target; only the real 'api' (not listed against the emulator); or
   * only the embedded 'emulator' (against the real API it is listed as skipped, saying why).
   */
  against: 'any' | 'api' | { emulatorOnly: string };
  /** An earlier check that must have passed when it applied to this target (else this one is skipped, saying `otherwise`). */
  needs?: { check: string; otherwise: string };
  /** Why it cannot run on this target (undefined: it can). */
  skipReason?(ctx: SmokeContext): string | undefined;
  /** Returns the ✔ line's detail; `fail(message)` for the ✖ line. */
  run(ctx: SmokeContext): Promise<string>;
}

/** Thrown by a check with a message for the ✖ line. */
class CheckFailed extends Error {}

const fail = (message: string): never => {
  throw new CheckFailed(message);
};

const HOST = 'API host reachable';
const KEY = 'API key accepted';
const NEEDS_KEY = { check: KEY, otherwise: 'needs an accepted API key' };

export const SMOKE_CHECKS: readonly SmokeCheck[] = [
  {
    name: HOST,
    proves: 'the --base-url answers HTTP at all, so a dead host or a wrong URL is not read as a refused key',
    against: 'api',
    async run(ctx) {
      const first = await ctx.firstStatus();
      if (!first.ok && first.unreachable === true) fail(`${ctx.targetText} is unreachable: ${first.message.replace(/^could not read the workspace status from \S+: /, '')}`);
      return `${ctx.targetText} answered HTTP`;
    },
  },
  {
    name: KEY,
    proves: 'the API key opens the workspace (GET /v1/diagnostics/workspace-status)',
    against: 'any',
    needs: { check: HOST, otherwise: 'the host did not answer' },
    async run(ctx) {
      const st = await ctx.firstStatus();
      if (!st.ok) fail(st.message + (st.hint ? ` (${st.hint})` : ''));
      return 'GET /v1/diagnostics/workspace-status answered with the workspace';
    },
  },
  {
    name: 'bundled payload fixtures are valid',
    proves: 'the validator and the contract agree with the payloads shipped as examples',
    against: 'any',
    async run(ctx) {
      const dir = join(ctx.opts.root, 'fixtures', 'payloads', 'valid');
      const { sources } = await expandPaths([dir]);
      if (sources.length === 0) fail(`no payload files under ${dir}`);
      const result = await validateSources(sources, { catalog: ctx.opts.catalog, maxProblems: 5 });
      const { files, records, errors, warnings } = result.counts;
      if (errors > 0) {
        const p = result.problems.find((x) => x.severity === 'error')!;
        fail(`${errors} error(s), first: ${p.file}:${p.line}:${p.column} ${p.rule} ${p.message}`);
      }
      return `${records} payloads in ${files} files: 0 errors, ${warnings} warnings`;
    },
  },
  {
    name: 'a test event is accepted (ok=true)',
    proves: 'a generated test event passes the API and its answer reads as accepted',
    against: 'any',
    needs: NEEDS_KEY,
    async run(ctx) {
      const v = classify(await ctx.client.post(INGEST_PATH, JSON.stringify(ctx.payload)), Date.now(), 'ingest');
      if (v.kind !== 'accepted') fail(`the API answered ${'status' in v && v.status ? v.status + ' ' : ''}${v.kind}: ${'message' in v ? v.message : ''}`);
      if (v.kind === 'accepted' && v.info.ok !== true) fail(`2xx but the body does not say ok=true`);
      const tier = v.kind === 'accepted' && v.info.planTier ? `, planTier ${v.info.planTier}` : '';
      return `${ctx.payload.externalRequestId} accepted with ok=true${tier}`;
    },
  },
  {
    name: 'a resent externalRequestId is not counted twice',
    proves: 'a retry with the same externalRequestId is accepted and stored once',
    against: 'any',
    needs: NEEDS_KEY,
    async run(ctx) {
      const id = ctx.payload.externalRequestId;
      const v = classify(await ctx.client.post(INGEST_PATH, JSON.stringify(ctx.payload)), Date.now(), 'ingest');
      if (v.kind !== 'accepted') fail(`the resend was answered ${v.kind}${'message' in v ? `: ${v.message}` : ''}`);
      const warnings = v.kind === 'accepted' ? v.info.warnings : [];
      if (ctx.emulator) {
        const stored = ctx.emulator.rows().filter((r) => r.externalRequestId === id).length;
        if (stored !== 1) fail(`the emulator stored ${stored} rows for one externalRequestId`);
        return `resent ${id}: 1 row stored${warnings.length ? `, server said "${warnings[0]}"` : ''}`;
      }
      // A remote API does not expose its row count per id: report what it said.
      const duplicate = warnings.find((w) => /duplicate/i.test(w));
      return duplicate !== undefined
        ? `the API answered "${duplicate}"`
        : 'the API accepted the resend with the same id (it deduplicates by externalRequestId; not observable from outside)';
    },
  },
  {
    name: `a sample export imports as expected (${SMOKE_IMPORT_SAMPLE.format})`,
    proves: 'the import pipeline turns a bundled provider export into the expected, valid payloads',
    against: 'any',
    async run(ctx) {
      const r = await runSampleImport(ctx.opts.root, ctx.opts.catalog);
      const e = SMOKE_IMPORT_SAMPLE.expect;
      if (r.read !== r.complete + r.partial + r.skipped + r.rejected) fail(`accounting broken: read ${r.read} ≠ ${r.complete} + ${r.partial} + ${r.skipped} + ${r.rejected}`);
      if (r.complete !== e.complete || r.partial !== e.partial || r.rejected !== e.rejected) {
        fail(`expected ${e.complete} complete, ${e.partial} partial, ${e.rejected} rejected; got ${r.complete}, ${r.partial}, ${r.rejected}`);
      }
      const bad = r.payloads.flatMap((p) => lintPayload(p, { catalog: ctx.opts.catalog, now: Date.now() })).filter((f) => f.rule.severity === 'error');
      if (bad.length > 0) fail(`an imported payload does not validate: ${bad[0]!.rule.id} ${bad[0]!.message}`);
      return `${r.read} rows: ${r.complete} complete, ${r.partial} partial (${Object.entries(r.partialReasons).map(([k, n]) => `${n} ${k}`).join(', ')}), all valid`;
    },
  },
  {
    name: '429 honoured with Retry-After',
    proves: 'the sender waits out a 429 as Retry-After says and its retries are stored once',
    against: { emulatorOnly: 'emulator only: a real workspace is never throttled on purpose' },
    async run(ctx) {
      const { emulator, client } = await ctx.startEmulator({ rateLimit: 2, retryAfterMode: 'seconds' });
      let waits = 0;
      const count = 5;
      const sender = new Sender({ client, catalog: ctx.opts.catalog, concurrency: 5 }, { onThrottle: () => waits++ });
      const report = await sender.run(generateEvents({ mode: 'test', count, catalog: ctx.opts.catalog, seed: ctx.opts.seed + ':429' }));
      if (report.throttledResponses === 0) fail('the emulator never answered 429: nothing was tested');
      if (report.outcomes.accepted !== count) fail(`${report.outcomes.accepted} of ${count} accepted after throttling (${describeOutcomes(report.outcomes)})`);
      const stored = emulator.rows().length;
      if (stored !== count) fail(`${stored} rows stored for ${count} events: retries were counted twice`);
      return `${report.throttledResponses}× 429, waited Retry-After ${waits}×, all ${count} accepted once (same externalRequestIds on retry)`;
    },
  },
  {
    name: '402 reported as paused',
    proves: "a 402 plan_limit_reached stops the sender as paused, and the rest is not sent",
    against: { emulatorOnly: 'emulator only: a real workspace is never paused on purpose' },
    async run(ctx) {
      const { client } = await ctx.startEmulator({ planLimit: 2 });
      const sender = new Sender({ client, catalog: ctx.opts.catalog, concurrency: 1 });
      const report = await sender.run(generateEvents({ mode: 'test', count: 4, catalog: ctx.opts.catalog, seed: ctx.opts.seed + ':402' }));
      if (report.stop?.reason !== 'paused') fail(`expected a stop "paused" (402 plan_limit_reached), got ${report.stop?.reason ?? 'no stop'}`);
      if (report.outcomes.accepted !== 2 || report.outcomes.paused !== 1 || report.outcomes['not-sent'] !== 1) {
        fail(`expected 2 accepted, 1 paused, 1 not sent; got ${describeOutcomes(report.outcomes)}`);
      }
      return `after 2 rows: 402 plan_limit_reached → paused, the rest not sent (send would exit 3)`;
    },
  },
  {
    name: 'budget stops reported as budget, not plan limit',
    proves: 'a soft budget is only flagged, a hard budget stop is a budget stop and never called a plan limit',
    against: { emulatorOnly: 'emulator only: a real workspace is never over budget on purpose' },
    async run(ctx) {
      // Soft (the documented default): rows past the budget are accepted and flagged.
      const soft = await ctx.startEmulator({ budgetUsd: 0 });
      const softReport = await new Sender({ client: soft.client, catalog: ctx.opts.catalog, concurrency: 1 }).run(
        generateEvents({ mode: 'test', count: 3, catalog: ctx.opts.catalog, seed: ctx.opts.seed + ':budget-soft' }),
      );
      if (softReport.outcomes.accepted !== 3 || softReport.stop) fail(`soft budget: expected 3 accepted and no stop; got ${describeOutcomes(softReport.outcomes)}`);
      if (softReport.accepted.budgetExceeded === 0) fail('soft budget: no response said budgetExceeded');
      const softText = summaryText(softReport, { url: soft.emulator.url, dryRun: false }, PLAIN);
      if (!softText.includes('budget exceeded') || /plan limit|telemetry paused/.test(softText)) fail(`soft budget summary: ${softText.split('\n').find((l) => /budget|plan/.test(l)) ?? '(no budget line)'}`);
      // Hard: the next row gets a 402 whose reason is not plan_limit_reached.
      const hard = await ctx.startEmulator({ budgetUsd: 0, budgetMode: 'hard' });
      const hardReport = await new Sender({ client: hard.client, catalog: ctx.opts.catalog, concurrency: 1 }).run(
        generateEvents({ mode: 'test', count: 3, catalog: ctx.opts.catalog, seed: ctx.opts.seed + ':budget-hard' }),
      );
      if (hardReport.stop?.reason !== 'blocked' || stopPolicy(hardReport.stop.reason) !== 'budget') fail(`hard budget: expected a budget stop, got ${hardReport.stop?.reason ?? 'no stop'}`);
      const words = stopMessage(hardReport).join(' ');
      if (/plan limit|plan's/.test(words)) fail(`hard budget reported as a plan limit: ${words}`);
      return `soft: ${softReport.outcomes.accepted} accepted, flagged "budget exceeded"; hard: 402 ${hardReport.stop?.serverReason ?? ''} → blocked by the budget (send would exit 3)`;
    },
  },
  {
    name: 'workspace status readable',
    proves: 'the workspace-status body has the severity and plan that `opsmeter status` shows',
    against: 'any',
    needs: NEEDS_KEY,
    async run(ctx) {
      const st = await fetchStatus(ctx.client);
      if (!st.ok) fail(st.message);
      const plan = (st.ok ? st.body.plan : undefined) as Record<string, unknown> | undefined;
      const severity = st.ok ? st.body.severity : undefined;
      if (typeof severity !== 'string' || !plan) fail('the body has no severity or plan');
      const count = plan!.currentRequestCount;
      return `severity ${String(severity)}, plan ${String(plan!.planName ?? plan!.planTier)}, ${String(count ?? '?')} ${count === 1 ? 'request' : 'requests'} this period`;
    },
  },
  {
    name: 'test rows cleaned up (DELETE /v1/ingest/test-data?scope=mine)',
    proves: "a dashboard user's token deletes the test rows smoke sent, and a deleted id is new again",
    against: 'any',
    needs: NEEDS_KEY,
    skipReason: (ctx) => (ctx.cleaner ? undefined : "give a dashboard user's token (OPSMETER_TOKEN or --token-file) to delete the test rows smoke sent"),
    async run(ctx) {
      const cleaner = ctx.cleaner!;
      const r = await cleanData(cleaner, 'test', 'mine');
      if (!r.ok) fail(r.message + (r.hint ? ` (${r.hint})` : ''));
      const said = r.ok && r.deleted !== undefined ? `${r.deleted} test row${r.deleted === 1 ? '' : 's'} deleted` : 'the API accepted the delete';
      if (!ctx.emulator) return said;
      const left = ctx.emulator.rows().filter((row) => row.dataMode === 'test').length;
      if (left > 0) fail(`${left} test rows still stored after the delete`);
      // Deleted rows no longer exist: the same id is a new row again.
      const v = classify(await ctx.client.post(INGEST_PATH, JSON.stringify(ctx.payload)), Date.now(), 'ingest');
      if (v.kind !== 'accepted' || v.info.warnings.some((w) => /duplicate/i.test(w))) fail(`resending ${ctx.payload.externalRequestId} after the delete was not a new row`);
      await cleanData(cleaner, 'test', 'mine');
      return `${said}; ${ctx.payload.externalRequestId} is a new id again`;
    },
  },
];

/** Runs the checks that apply to the target, in order, each reported as it finishes. */
export async function runSmoke(opts: SmokeOptions, checks: readonly SmokeCheck[] = SMOKE_CHECKS): Promise<SmokeReport> {
  const { context, close } = await openSmokeContext(opts);
  const results = new Map<string, CheckResult>();
  try {
    for (const check of checks) {
      if (check.against === 'api' && context.emulator) continue;
      const why = skipReason(check, context, results);
      const r = why === undefined ? await runCheck(check, context) : { name: check.name, status: 'skip' as const, detail: why, ms: 0 };
      results.set(check.name, r);
      opts.onCheck?.(r);
    }
    return { target: context.targetText, embedded: context.emulator !== undefined, checks: [...results.values()] };
  } finally {
    await close();
  }
}

/** Why a check is skipped on this target, after these results (undefined: it runs). */
function skipReason(check: SmokeCheck, ctx: SmokeContext, results: ReadonlyMap<string, CheckResult>): string | undefined {
  if (typeof check.against === 'object' && !ctx.emulator) return check.against.emulatorOnly;
  if (check.needs) {
    // A needed check not listed on this target (the host check against the emulator) is no obstacle.
    const status = results.get(check.needs.check)?.status;
    if (status !== undefined && status !== 'pass') return check.needs.otherwise;
  }
  return check.skipReason?.(ctx);
}

async function runCheck(check: SmokeCheck, ctx: SmokeContext): Promise<CheckResult> {
  const t0 = Date.now();
  let r: CheckResult;
  try {
    r = { name: check.name, status: 'pass', detail: await check.run(ctx), ms: 0 };
  } catch (e) {
    r = { name: check.name, status: 'fail', detail: e instanceof CheckFailed ? e.message : `unexpected error: ${(e as Error).message}`, ms: 0 };
  }
  r.ms = Date.now() - t0;
  return r;
}

function describeOutcomes(o: Record<string, number>): string {
  return Object.entries(o)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}
