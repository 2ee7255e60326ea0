/**
 * `opsmeter smoke`: the whole integration path, checked end to end. Against the embedded
 * emulator by default (no key, no network); against a real API with --base-url and a key,
 * sending only `test` events there. Each check is a small function returning a verdict;
 * the command prints them as a ✔/✖ checklist and exits 0 only if every check passed.
 *
 * Every piece is the real one: the same validator, generator, HTTP client, classifier,
 * sender and import pipeline the other commands use.
 */
import { join } from 'node:path';
import type { Catalog } from '../contract/catalog.js';
import { lintPayload } from '../contract/lint.js';
import { expandPaths } from '../read/paths.js';
import { validateSources } from '../validate/validate.js';
import { classify } from '../ingest/classify.js';
import { createClient, type ApiClient } from '../ingest/client.js';
import type { Target } from '../ingest/config.js';
import { resolveTarget } from '../ingest/config.js';
import { generateEvents } from '../ingest/generate.js';
import { cleanData } from '../ingest/clean.js';
import { INGEST_PATH, Sender } from '../ingest/sender.js';
import { stopMessage, stopPolicy, summaryText } from '../ingest/send-summary.js';
import { PLAIN } from '../terminal.js';
import { fetchStatus } from '../ingest/status.js';
import type { Emulator, EmulatorOptions } from '../emulator/server.js';
import { SMOKE_IMPORT_SAMPLE, runSampleImport } from './sample-import.js';

export interface CheckResult {
  name: string;
  /** 'skip' only for checks that cannot run against this target (said in `detail`). */
  status: 'pass' | 'fail' | 'skip';
  detail: string;
  ms: number;
}

export interface SmokeOptions {
  /**
   * A real API: base URL and key, and optionally a dashboard user's token so the test rows
   * smoke sent can be deleted at the end. Undefined → the embedded emulator.
   */
  remote?: { target: Target; apiKey: string; token?: string };
  catalog: Catalog;
  /** The package root (fixtures live below it). */
  root: string;
  timeoutMs: number;
  /** Seed for generated events (ids are unique per seed). */
  seed: string;
  /** Called as each check finishes, so the checklist prints live. */
  onCheck?: (r: CheckResult) => void;
}

export interface SmokeReport {
  target: string;
  embedded: boolean;
  checks: CheckResult[];
}

/** Thrown by a check with a message for the ✖ line. */
class CheckFailed extends Error {}

const fail = (message: string): never => {
  throw new CheckFailed(message);
};

export async function runSmoke(opts: SmokeOptions): Promise<SmokeReport> {
  const emulatorMod = opts.remote ? undefined : await import('../emulator/server.js');
  const emulators: Emulator[] = [];
  const clients: ApiClient[] = [];
  const start = async (o: EmulatorOptions): Promise<{ emulator: Emulator; client: ApiClient; key: string; cleaner: ApiClient }> => {
    const key = emulatorMod!.DEFAULT_EMULATOR_KEY;
    const emulator = await emulatorMod!.startEmulator({ host: '127.0.0.1', port: 0, apiKey: key, catalog: opts.catalog, seed: 1, ...o });
    emulators.push(emulator);
    const target = resolveTarget({ baseUrl: emulator.url }, {});
    const client = createClient({ target, apiKey: key, timeoutMs: opts.timeoutMs, connections: 4, env: {} });
    const cleaner = createClient({ target, bearerToken: emulatorMod!.DEFAULT_EMULATOR_TOKEN, timeoutMs: opts.timeoutMs, connections: 1, env: {} });
    clients.push(client, cleaner);
    return { emulator, client, key, cleaner };
  };

  const checks: CheckResult[] = [];
  const run = async (name: string, body: () => Promise<string>): Promise<boolean> => {
    const t0 = Date.now();
    let r: CheckResult;
    try {
      r = { name, status: 'pass', detail: await body(), ms: 0 };
    } catch (e) {
      r = { name, status: 'fail', detail: e instanceof CheckFailed ? e.message : `unexpected error: ${(e as Error).message}`, ms: 0 };
    }
    r.ms = Date.now() - t0;
    checks.push(r);
    opts.onCheck?.(r);
    return r.status === 'pass';
  };
  const skip = (name: string, detail: string) => {
    const r: CheckResult = { name, status: 'skip', detail, ms: 0 };
    checks.push(r);
    opts.onCheck?.(r);
  };

  try {
    let main: { client: ApiClient; emulator?: Emulator; cleaner?: ApiClient };
    let targetText: string;
    if (opts.remote) {
      const client = createClient({ target: opts.remote.target, apiKey: opts.remote.apiKey, timeoutMs: opts.timeoutMs, connections: 2 });
      clients.push(client);
      main = { client };
      if (opts.remote.token !== undefined) {
        main.cleaner = createClient({ target: opts.remote.target, bearerToken: opts.remote.token, timeoutMs: opts.timeoutMs, connections: 1 });
        clients.push(main.cleaner);
      }
      targetText = client.url('');
    } else {
      const s = await start({});
      main = { client: s.client, emulator: s.emulator, cleaner: s.cleaner };
      targetText = `embedded emulator at ${s.emulator.url}`;
    }

    // Against a real host, first whether it answers at all: a dead host or a wrong
    // --base-url is not a refused key, and must not read as one.
    const first = opts.remote ? await fetchStatus(main.client) : undefined;
    const unreachable = first !== undefined && !first.ok && first.unreachable === true;
    if (opts.remote) {
      await run('API host reachable', async () => {
        if (unreachable) fail(`${targetText} is unreachable: ${first.message.replace(/^could not read the workspace status from \S+: /, '')}`);
        return `${targetText} answered HTTP`;
      });
    }
    let keyOk = false;
    if (unreachable) skip('API key accepted', 'the host did not answer');
    else {
      keyOk = await run('API key accepted', async () => {
        const st = first ?? (await fetchStatus(main.client));
        if (!st.ok) fail(st.message + (st.hint ? ` (${st.hint})` : ''));
        return 'GET /v1/diagnostics/workspace-status answered with the workspace';
      });
    }

    await run('bundled payload fixtures are valid', async () => {
      const dir = join(opts.root, 'fixtures', 'payloads', 'valid');
      const { sources } = await expandPaths([dir]);
      if (sources.length === 0) fail(`no payload files under ${dir}`);
      const result = await validateSources(sources, { catalog: opts.catalog, maxProblems: 5 });
      const { files, records, errors, warnings } = result.counts;
      if (errors > 0) {
        const p = result.problems.find((x) => x.severity === 'error')!;
        fail(`${errors} error(s), first: ${p.file}:${p.line}:${p.column} ${p.rule} ${p.message}`);
      }
      return `${records} payloads in ${files} files: 0 errors, ${warnings} warnings`;
    });

    const [event] = [...generateEvents({ mode: 'test', count: 1, catalog: opts.catalog, seed: opts.seed })];
    const payload = event!.value as { externalRequestId: string };
    if (!keyOk) {
      for (const name of ['a test event is accepted (ok=true)', 'a resent externalRequestId is not counted twice']) {
        skip(name, 'needs an accepted API key');
      }
    } else {
      await run('a test event is accepted (ok=true)', async () => {
        const v = classify(await main.client.post(INGEST_PATH, JSON.stringify(payload)), Date.now());
        if (v.kind !== 'accepted') fail(`the API answered ${'status' in v && v.status ? v.status + ' ' : ''}${v.kind}: ${'message' in v ? v.message : ''}`);
        if (v.kind === 'accepted' && v.info.ok !== true) fail(`2xx but the body does not say ok=true`);
        const tier = v.kind === 'accepted' && v.info.planTier ? `, planTier ${v.info.planTier}` : '';
        return `${payload.externalRequestId} accepted with ok=true${tier}`;
      });

      await run('a resent externalRequestId is not counted twice', async () => {
        const v = classify(await main.client.post(INGEST_PATH, JSON.stringify(payload)), Date.now());
        if (v.kind !== 'accepted') fail(`the resend was answered ${v.kind}${'message' in v ? `: ${v.message}` : ''}`);
        const warnings = v.kind === 'accepted' ? v.info.warnings : [];
        if (main.emulator) {
          const stored = main.emulator.rows().filter((r) => r.externalRequestId === payload.externalRequestId).length;
          if (stored !== 1) fail(`the emulator stored ${stored} rows for one externalRequestId`);
          return `resent ${payload.externalRequestId}: 1 row stored${warnings.length ? `, server said "${warnings[0]}"` : ''}`;
        }
        // A remote API does not expose its row count per id: report what it said.
        return warnings.some((w) => /duplicate/i.test(w))
          ? `the API answered "${warnings.find((w) => /duplicate/i.test(w))}"`
          : 'the API accepted the resend with the same id (it deduplicates by externalRequestId; not observable from outside)';
      });
    }

    await run(`a sample export imports as expected (${SMOKE_IMPORT_SAMPLE.format})`, async () => {
      const r = await runSampleImport(opts.root, opts.catalog);
      const e = SMOKE_IMPORT_SAMPLE.expect;
      if (r.read !== r.complete + r.partial + r.skipped + r.rejected) fail(`accounting broken: read ${r.read} ≠ ${r.complete} + ${r.partial} + ${r.skipped} + ${r.rejected}`);
      if (r.complete !== e.complete || r.partial !== e.partial || r.rejected !== e.rejected) {
        fail(`expected ${e.complete} complete, ${e.partial} partial, ${e.rejected} rejected; got ${r.complete}, ${r.partial}, ${r.rejected}`);
      }
      const bad = r.payloads.flatMap((p) => lintPayload(p, { catalog: opts.catalog, now: Date.now() })).filter((f) => f.rule.severity === 'error');
      if (bad.length > 0) fail(`an imported payload does not validate: ${bad[0]!.rule.id} ${bad[0]!.message}`);
      return `${r.read} rows: ${r.complete} complete, ${r.partial} partial (${Object.entries(r.partialReasons).map(([k, n]) => `${n} ${k}`).join(', ')}), all valid`;
    });

    if (opts.remote) {
      skip('429 honoured with Retry-After', 'emulator only: a real workspace is never throttled on purpose');
      skip('402 reported as paused', 'emulator only: a real workspace is never paused on purpose');
      skip('budget stops reported as budget, not plan limit', 'emulator only: a real workspace is never over budget on purpose');
    } else {
      await run('429 honoured with Retry-After', async () => {
        const { emulator, client } = await start({ rateLimit: 2, retryAfterMode: 'seconds' });
        let waits = 0;
        const count = 5;
        const sender = new Sender({ client, catalog: opts.catalog, concurrency: 5 }, { onThrottle: () => waits++ });
        const report = await sender.run(generateEvents({ mode: 'test', count, catalog: opts.catalog, seed: opts.seed + ':429' }));
        if (report.throttledResponses === 0) fail('the emulator never answered 429: nothing was tested');
        if (report.outcomes.accepted !== count) fail(`${report.outcomes.accepted} of ${count} accepted after throttling (${describeOutcomes(report.outcomes)})`);
        const stored = emulator.rows().length;
        if (stored !== count) fail(`${stored} rows stored for ${count} events: retries were counted twice`);
        return `${report.throttledResponses}× 429, waited Retry-After ${waits}×, all ${count} accepted once (same externalRequestIds on retry)`;
      });

      await run('402 reported as paused', async () => {
        const { client } = await start({ planLimit: 2 });
        const sender = new Sender({ client, catalog: opts.catalog, concurrency: 1 });
        const report = await sender.run(generateEvents({ mode: 'test', count: 4, catalog: opts.catalog, seed: opts.seed + ':402' }));
        if (report.stop?.reason !== 'paused') fail(`expected a stop "paused" (402 plan_limit_reached), got ${report.stop?.reason ?? 'no stop'}`);
        if (report.outcomes.accepted !== 2 || report.outcomes.paused !== 1 || report.outcomes['not-sent'] !== 1) {
          fail(`expected 2 accepted, 1 paused, 1 not sent; got ${describeOutcomes(report.outcomes)}`);
        }
        return `after 2 rows: 402 plan_limit_reached → paused, the rest not sent (send would exit 3)`;
      });

      await run('budget stops reported as budget, not plan limit', async () => {
        // Soft (the documented default): rows past the budget are accepted and flagged.
        const soft = await start({ budgetUsd: 0 });
        const softReport = await new Sender({ client: soft.client, catalog: opts.catalog, concurrency: 1 }).run(
          generateEvents({ mode: 'test', count: 3, catalog: opts.catalog, seed: opts.seed + ':budget-soft' }),
        );
        if (softReport.outcomes.accepted !== 3 || softReport.stop) fail(`soft budget: expected 3 accepted and no stop; got ${describeOutcomes(softReport.outcomes)}`);
        if (softReport.accepted.budgetExceeded === 0) fail('soft budget: no response said budgetExceeded');
        const softText = summaryText(softReport, { url: soft.emulator.url, dryRun: false }, PLAIN);
        if (!softText.includes('budget exceeded') || /plan limit|telemetry paused/.test(softText)) fail(`soft budget summary: ${softText.split('\n').find((l) => /budget|plan/.test(l)) ?? '(no budget line)'}`);
        // Hard: the next row gets a 402 whose reason is not plan_limit_reached.
        const hard = await start({ budgetUsd: 0, budgetMode: 'hard' });
        const hardReport = await new Sender({ client: hard.client, catalog: opts.catalog, concurrency: 1 }).run(
          generateEvents({ mode: 'test', count: 3, catalog: opts.catalog, seed: opts.seed + ':budget-hard' }),
        );
        if (hardReport.stop?.reason !== 'blocked' || stopPolicy(hardReport.stop.reason) !== 'budget') fail(`hard budget: expected a budget stop, got ${hardReport.stop?.reason ?? 'no stop'}`);
        const words = stopMessage(hardReport).join(' ');
        if (/plan limit|plan's/.test(words)) fail(`hard budget reported as a plan limit: ${words}`);
        return `soft: ${softReport.outcomes.accepted} accepted, flagged "budget exceeded"; hard: 402 ${hardReport.stop?.serverReason ?? ''} → blocked by the budget (send would exit 3)`;
      });
    }

    if (!keyOk) skip('workspace status readable', 'needs an accepted API key');
    else
      await run('workspace status readable', async () => {
        const st = await fetchStatus(main.client);
        if (!st.ok) fail(st.message);
        const plan = (st.ok ? st.body.plan : undefined) as Record<string, unknown> | undefined;
        const severity = st.ok ? st.body.severity : undefined;
        if (typeof severity !== 'string' || !plan) fail('the body has no severity or plan');
        const count = plan!.currentRequestCount;
        return `severity ${String(severity)}, plan ${String(plan!.planName ?? plan!.planTier)}, ${String(count ?? '?')} ${count === 1 ? 'request' : 'requests'} this period`;
      });

    const cleanupName = 'test rows cleaned up (DELETE /v1/ingest/test-data?scope=mine)';
    if (!keyOk) skip(cleanupName, 'needs an accepted API key');
    else if (!main.cleaner) skip(cleanupName, "give a dashboard user's token (OPSMETER_TOKEN or --token-file) to delete the test rows smoke sent");
    else
      await run(cleanupName, async () => {
        const r = await cleanData(main.cleaner!, 'test', 'mine');
        if (!r.ok) fail(r.message + (r.hint ? ` (${r.hint})` : ''));
        const said = r.ok && r.deleted !== undefined ? `${r.deleted} test row${r.deleted === 1 ? '' : 's'} deleted` : 'the API accepted the delete';
        if (!main.emulator) return said;
        const left = main.emulator.rows().filter((row) => row.dataMode === 'test').length;
        if (left > 0) fail(`${left} test rows still stored after the delete`);
        // Deleted rows no longer exist: the same id is a new row again.
        const v = classify(await main.client.post(INGEST_PATH, JSON.stringify(payload)), Date.now());
        if (v.kind !== 'accepted' || v.info.warnings.some((w) => /duplicate/i.test(w))) fail(`resending ${payload.externalRequestId} after the delete was not a new row`);
        await cleanData(main.cleaner!, 'test', 'mine');
        return `${said}; ${payload.externalRequestId} is a new id again`;
      });

    return { target: targetText, embedded: !opts.remote, checks };
  } finally {
    await Promise.allSettled(clients.map((c) => c.close()));
    await Promise.allSettled(emulators.map((e) => e.close()));
  }
}

function describeOutcomes(o: Record<string, number>): string {
  return Object.entries(o)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}
