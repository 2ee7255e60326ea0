/**
 * `opsmeter import [paths...] --from FORMAT` — provider exports and logs → payload JSONL.
 * The flags are checked by planImport (import-plan.ts); the action runs the plan: find each
 * file's format, convert (src/importers/run-groups.ts), write, summarise, exit code. The
 * importers (and everything they load) are imported only when the command runs.
 *
 * With --send the payloads stream into the sender (src/cli/send-session.ts) as they are
 * converted, through a bounded queue (src/cli/import-send-queue.ts); every send flag
 * applies (send-options.ts), and both summaries are printed.
 *
 * SIGINT, SIGTERM and SIGHUP stop the reading between rows (signals.ts): the lines made so far
 * are written whole, the summary and --summary-json say the run was interrupted and count what
 * was read, -o and --rejects stay as `.partial`, and the exit code is the signal's (130, 143,
 * 129). Result files take their names only when complete (import-outputs.ts).
 */
import { Option, type Command } from 'commander';
import type { Catalog } from '../contract/catalog.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import type { ImportTally, LeftOutFile } from '../importers/import-summary.js';
import type { FormatGroup } from '../importers/run-groups.js';
import type { OpenedSource } from '../importers/source.js';
import type { Adapter } from '../importers/types.js';
import type { Source } from '../read/records.js';
import type { PayloadQueue } from './import-send-queue.js';
import type { ImportOutputs } from './import-outputs.js';
import { EXIT, OpsmeterError, SIGNAL_EXIT, SIGNAL_WORDS, type StopSignal } from '../errors.js';
import { ImportInterrupt } from '../importers/interrupt.js';
import { addConfigOptions, resolveSettings } from './config-options.js';
import { checkFormatsFound, FORMATS, planImport, type ImportFlags, type ImportPlan } from './import-plan.js';
import { paintFor } from './output.js';
import { commandLine, orThrow, processEnv } from './plan.js';
import { addSendOptions } from './send-options.js';
import { loadCatalog } from './shared.js';
import { VERSION } from '../version.js';
import { onStopSignal } from './signals.js';

/** Payloads that may wait between the import and the sender (--send). */
const SEND_QUEUE = 1000;
/** Files a directory or glob yields unless the format names its own (adapter.fileFilter). */
const ANY_INPUT = /\.(csv|json|jsonl|ndjson|jsonl\.out)(\.gz)?$/i;

const collect = (value: string, previous: string[]) => [...previous, value];

export function defineCommand(cmd: Command): void {
  cmd
    .argument('[paths...]', 'files, directories, globs, or - for stdin')
    .addOption(new Option('--from <format>', 'source format (auto sniffs each file\'s first records and says what it chose; a folder of several formats is read in one run)').choices(FORMATS).default('auto'))
    .option('--map <field=source>', 'generic csv/jsonl: payload field from a column, JSON path or \'literal\' (repeatable)', collect, [])
    .option('-o, --output <file>', 'write payload JSONL here instead of stdout')
    .option('--rejects <file>', 'write every rejected row here as JSONL {file, line, reason, raw}')
    .option('--summary-json <file>', 'write the summary as JSON here')
    .addOption(new Option('--data-mode <mode>', 'dataMode for rows that lack one').choices(['real', 'test', 'demo']).default('real'))
    .addOption(new Option('--environment <env>', 'environment for rows that lack one').choices(['prod', 'staging', 'dev']).default('prod'))
    .option('--endpoint-tag <tag>', 'endpointTag for rows that lack one')
    .option('--prompt-version <version>', 'promptVersion for rows that lack one')
    .addOption(
      new Option('--hash-user-ids <salt>', 'replace userId/tenantId with u_ + hex HMAC-SHA256(salt, id); externalRequestId is keyed by the salt too').env('OPSMETER_HASH_SALT'),
    )
    .option('--batch-id <id>', 'openai-batch / anthropic-batch: the batch these files belong to; lines without a global id become <id>:<custom_id> (default: a batch id in the file name)')
    .option('--model <id>', 'bedrock batch output: the job\'s modelId, the model of every line (lines name none, or Anthropic outputs only the Anthropic name)')
    .option('--provider <id>', 'the provider of every payload, overriding what the records say (OpenAI-compatible logs: mistral, groq, deepseek, …)')
    .option('--stdin-filename <name>', 'name stdin in reports (its extension picks CSV or JSON)')
    .option('--report <file.html>', 'write the import\'s report here: one self-contained page (spend per day and model, top endpoints and users, outcomes), offline and printable')
    .option('--since <date>', 'keep rows from this UTC date or date-time on (ISO: 2026-06-01, 2026-06-01T12:00:00Z); the others are skipped as before_since')
    .option('--until <date>', 'keep rows before this date-time, or up to the end of this UTC date (2026-06-30 keeps June 30); the others are skipped as after_until')
    .option('--exclude <glob>', 'leave out files the paths expand to that match (repeatable; a glob without / matches file names: --exclude "*.csv")', collect, [])
    .option('--against <reports...>', "check the import's coverage of the providers' usage or cost report pages, as opsmeter reconcile does (give it after the paths)")
    .option('--tolerance <pct>', 'with --against: allowed difference per day × model and measure, in percent of the reported figure (default 1)')
    .option('--send', 'send the payloads to the ingest API as they are converted (the flags below apply)');
  addConfigOptions(cmd); // the lint gate's rule settings (and the sender's, with --send)
  addSendOptions(cmd); // --send only (planImport says so), but --catalog, which the import uses too
  cmd
    .addHelpText(
      'after',
      [
        '',
        'Every row read ends up complete, partial (usage missing: metadata.usageStatus="partial"),',
        'skipped (with a reason) or rejected (with a reason); the summary on stderr checks',
        'read = complete + partial + skipped + rejected.',
        '',
        'Exit codes: 0 all rows accounted, none rejected · 1 some rows rejected, or --from auto left files out',
        '            (the rest still written) · 2 usage or IO error, nothing importable, an aggregate-only export',
        '            with --from FORMAT · with --against, 1 also when the coverage is outside --tolerance (or nothing compared)',
        '',
        '--send streams the payloads into the sender (see `opsmeter send --help` for its flags).',
        'Imported payloads are dataMode "real" unless --data-mode says otherwise, so sending needs',
        '--allow-real (a real backfill) or --data-mode test (a trial). With --send, stdout carries',
        'no payloads (-o FILE keeps a copy); both summaries go to stderr (--format json: the send',
        'summary to stdout). Exit code: the larger of the import\'s (0/1) and the send\'s',
        '(0/1/3/4/5; 130 interrupted).',
        'Examples:',
        '  opsmeter import spend.csv --from litellm -o payloads.jsonl --rejects rejects.jsonl',
        '  opsmeter import openrouter_activity_2026-06-28.csv --hash-user-ids "$SALT"',
        '  opsmeter import usage.csv --from csv --map provider=vendor --map model=model_name \\',
        '      --map inputTokens=in --map outputTokens=out --map createdAt=ts',
        '  opsmeter import spend.csv --from litellm | opsmeter validate -',
        '  opsmeter import /var/log/otel/genai-traces.jsonl --from otel     # OpenTelemetry GenAI spans (OTLP JSON)',
        '  opsmeter import ./exports --since 2026-06-01 --until 2026-06-30 --exclude "archive/**" -o june.jsonl --report june.html',
        '  opsmeter import msgbatch_01Hk…_results.jsonl --data-mode test --environment staging --send --journal sent.jsonl',
      ].join('\n'),
    )
    .action(async (paths: string[], flags: ImportFlags, command: Command) => {
      process.exitCode = await runImportCommand(orThrow(planImport(commandLine(paths, flags, command), processEnv())));
    });
}

/** What the sender made of the run, kept as a value so a failure before the import ends is no unhandled rejection. */
type Sending = Promise<{ code: number } | { error: unknown }>;

async function runImportCommand(plan: ImportPlan): Promise<number> {
  if (plan.send) await (await import('./send-session.js')).openTarget(plan.send, process.env);
  // The reports first: one that cannot be read must not cost an import.
  const against = plan.against ? await (await import('./import-coverage.js')).readAgainst(plan) : undefined;
  const found = await findFormats(plan);
  const wrongFormat = checkFormatsFound(plan, found.groups.map((g) => g.adapter.id));
  if (wrongFormat) throw wrongFormat;
  const settings = await resolveSettings(plan.config);
  const catalog = loadCatalog(plan.catalog ?? settings.catalog);
  const now = Date.now();
  const { PriceBook } = await import('../prices/library.js');
  const prices = await PriceBook.load(new Date(now));
  const groups = await openGroups(plan, found);
  // A signal stops the reading between rows; what was made is finished and reported. The
  // handlers are in place before the result files open, so no signal finds them unguarded.
  const interrupt = new ImportInterrupt();
  let signal: StopSignal | undefined;
  const stopListening = onStopSignal((s) => {
    signal ??= s;
    interrupt.request();
  });
  try {
    const outputs = await (await import('./import-outputs.js')).ImportOutputs.open(plan, SEND_QUEUE);
    try {
      return await convert(plan, { groups, found, catalog, rules: settings.rules, now, prices, outputs, interrupt, signal: () => signal, against });
    } catch (e) {
      outputs.discard();
      throw e;
    }
  } finally {
    stopListening();
    // A stop may leave stdin unread: let the process end.
    if (interrupt.cutShort && !process.stdin.isTTY) process.stdin.destroy();
  }
}

interface Conversion {
  groups: FormatGroup[];
  found: FoundFormats;
  catalog: Catalog;
  rules: RulePolicy | undefined;
  now: number;
  prices: import('../prices/library.js').PriceBook;
  outputs: ImportOutputs;
  interrupt: ImportInterrupt;
  /** The signal that interrupted the run, if one did. */
  signal: () => StopSignal | undefined;
  /** --against: the providers' reports, read before the import. */
  against: import('./import-coverage.js').AgainstReports | undefined;
}

async function convert(plan: ImportPlan, run: Conversion): Promise<number> {
  const { groups, found, catalog, now, prices, outputs, interrupt, against } = run;
  const sending = outputs.queue && startSending(outputs.queue, plan, catalog, run.rules);
  const tty = process.stderr.isTTY === true && !outputs.queue;
  const { importProgressLine } = await import('./import-progress.js');
  const progress = importProgressLine(tty, tty ? await totalBytes(groups) : undefined);
  const { runGroups } = await import('../importers/run-groups.js');
  const converted = await runGroups(groups, {
    catalog,
    defaults: plan.defaults,
    hashSalt: plan.hashSalt,
    provider: plan.provider,
    rules: run.rules,
    output: outputs.payloads,
    rejects: outputs.rejects,
    opened: found.opened,
    now,
    prices,
    parallel: plan.parallel,
    idIndexEntries: plan.idIndexEntries,
    onProgress: progress.onProgress,
    progressEveryMs: plan.progressEveryMs,
    window: plan.window && { since: plan.window.since, until: plan.window.until },
    users: plan.report !== undefined,
    interrupt,
  }).then(
    async (tally) => {
      await outputs.end();
      return { tally };
    },
    (error: unknown) => ({ error }),
  );
  // Whatever happened, the sender gets what was converted, then the end of the input.
  outputs.queue?.end();
  progress.clear();
  if ('error' in converted) return importFailed(converted.error, sending, outputs);
  const stoppedBy = interrupt.cutShort ? (run.signal() ?? 'SIGINT') : undefined;
  return finish(plan, converted.tally, { groups, found, catalog, now, stoppedBy, against }, sending, outputs);
}

/** The inputs' size as stored, for the progress line's total; undefined when one is stdin (or cannot be looked up). */
async function totalBytes(groups: readonly FormatGroup[]): Promise<number | undefined> {
  const { stat } = await import('node:fs/promises');
  let total = 0;
  for (const g of groups) {
    for (const s of g.sources) {
      if (s.path === '-') return undefined;
      try {
        total += (await stat(s.path)).size;
      } catch {
        return undefined;
      }
    }
  }
  return total;
}

interface FoundFormats {
  groups: { adapter: Adapter; sources: Source[] }[];
  /** --from auto: what it found, in words. */
  autoReason?: string;
  /** Sources already opened (stdin by --from auto's look at it, every file by openGroups). */
  opened: Map<Source, OpenedSource>;
  /** --from auto: files left out of the run (an aggregate export, a format that cannot be told), with why. */
  leftOut: LeftOutFile[];
  /** Files --exclude left out. */
  excluded: string[];
}

/** The sources and each one's format: --from's, or with --from auto each file's own (it says what it chose). */
async function findFormats(plan: ImportPlan): Promise<FoundFormats> {
  const [{ expandPaths }, registry, detect, { excludeSources }] = await Promise.all([
    import('../read/paths.js'),
    import('../importers/adapters/index.js'),
    import('../importers/detect.js'),
    import('../importers/exclude.js'),
  ]);
  const excluded = new Set<string>();
  const expand = async (include: RegExp) => {
    const r = await expandPaths(plan.paths, { stdinName: plan.stdinName, include });
    if (r.emptyMatches.length > 0) {
      throw new OpsmeterError(`nothing to import in ${r.emptyMatches.map((p) => `"${p}"`).join(', ')}`, EXIT.usage, 'check the path, or quote the glob');
    }
    const { kept, excluded: out } = excludeSources(r.sources, plan.exclude);
    for (const s of out) excluded.add(s.name);
    if (kept.length === 0) throw new OpsmeterError(`nothing to import: --exclude ${plan.exclude.join(' --exclude ')} leaves out every file (${out.length})`, EXIT.usage, 'narrow the --exclude globs');
    return kept;
  };
  const opened = new Map<Source, OpenedSource>();
  if (plan.from !== 'auto') {
    const adapter = registry.adapterById(plan.from);
    if (!adapter) {
      throw new OpsmeterError(`--from ${plan.from}: this build has no ${plan.from} importer yet`, EXIT.usage, `available: ${registry.formatIds().join(', ')}`);
    }
    return { groups: [{ adapter, sources: await expand(adapter.fileFilter ?? ANY_INPUT) }], opened, leftOut: [], excluded: [...excluded] };
  }
  const all = await expand(ANY_INPUT);
  const detection = await detect.detect(all);
  let groups = detection.groups;
  if (groups.length === 1) {
    const adapter = groups[0]!.adapter;
    process.stderr.write(`opsmeter import: --from auto chose ${adapter.id} (${detection.reason})\n`);
    // The format's own file filter narrows a folder (e.g. .jsonl only); a file left out stays out.
    const left = new Set(detection.leftOut.map((f) => f.file));
    const sources = all.some((s) => s.path !== '-') ? (await expand(adapter.fileFilter ?? ANY_INPUT)).filter((s) => !left.has(s.name)) : all;
    groups = [{ adapter, sources }];
  } else {
    // Several formats: each file is read as the format found for it (the summary lists them).
    process.stderr.write(`opsmeter import: --from auto found ${detection.reason}\n`);
  }
  // Re-expanding creates new Source objects: carry the opened stdin over.
  if (detection.openedStdin) for (const g of groups) for (const s of g.sources) if (s.path === '-') opened.set(s, detection.openedStdin);
  return { groups, autoReason: detection.reason, opened, leftOut: detection.leftOut, excluded: [...excluded] };
}

/** Each format's reading context; every source is opened, so every CSV header is checked before anything is written. */
async function openGroups(plan: ImportPlan, found: FoundFormats): Promise<FormatGroup[]> {
  const [{ openAllSources }, { BatchIds }] = await Promise.all([import('../importers/run.js'), import('../importers/readers/batch-id.js')]);
  const groups = found.groups.map((g) => {
    const id = g.adapter.id;
    const batchIds = id === 'openai-batch' || id === 'anthropic-batch' || id === 'bedrock' ? new BatchIds(id, plan.batchId) : undefined;
    return { adapter: g.adapter, sources: g.sources, ctx: { map: plan.map, batchIds, model: id === 'bedrock' ? plan.model : undefined } };
  });
  for (const g of groups) {
    const pre = await openAllSources(g.adapter, g.ctx, g.sources.filter((s) => !found.opened.has(s)));
    for (const [s, o] of pre) found.opened.set(s, o);
  }
  return groups;
}

/**
 * The sender pulls from the queue while the import fills it. When the session ends, for any
 * reason, the queue is cancelled, which stops the import.
 */
function startSending(queue: PayloadQueue, plan: ImportPlan, catalog: Catalog, rules: RulePolicy | undefined): Sending {
  const sending: Sending = import('./send-session.js')
    .then(({ runSendSession }) => runSendSession(queue, plan.send!, { catalog, rules }))
    .then(
      (code) => ({ code }),
      (error: unknown) => ({ error }),
    );
  void sending.then(() => queue.cancel());
  return sending;
}

/**
 * The import failed: no result file stays. When only because sending stopped, the send's code
 * (the summary would be incomplete); else its error, saying what was not kept.
 */
async function importFailed(error: unknown, sending: Sending | undefined, outputs: ImportOutputs): Promise<number> {
  outputs.discard();
  const sent = sending ? await sending : undefined;
  const { SendingStopped } = await import('./import-send-queue.js');
  if (error instanceof SendingStopped && sent) {
    if ('error' in sent) throw sent.error;
    process.stderr.write(`opsmeter import: stopped after ${outputs.queue!.written.toLocaleString('en-US')} payloads because sending stopped; the import summary is incomplete${notKept(outputs)}\n`);
    return Math.max(sent.code, EXIT.failed);
  }
  if (error instanceof OpsmeterError && outputs.names.length > 0) throw new OpsmeterError(`${error.message}${notKept(outputs)}`, error.exitCode, error.hint);
  throw error;
}

/** A result file's name in the summary: an interrupted run did not write it under that name (the lines after the summary say where they are). */
const resultName = (name: string, interrupted: boolean) => (interrupted ? `${name} not written (interrupted, see below)` : name);

const notKept = (outputs: ImportOutputs) => (outputs.names.length > 0 ? `; nothing was kept under ${outputs.names.join(', ')}` : '');

/** The summary (stderr, --summary-json), the report (--report) and the exit code: the import's, or the send's when larger. */
async function finish(
  plan: ImportPlan,
  tally: ImportTally,
  run: { groups: FormatGroup[]; found: FoundFormats; catalog: Catalog; now: number; stoppedBy: StopSignal | undefined; against: import('./import-coverage.js').AgainstReports | undefined },
  sending: Sending | undefined,
  outputs: ImportOutputs,
): Promise<number> {
  const [summary, { summaryText }, detect] = await Promise.all([import('../importers/import-summary.js'), import('../importers/summary-text.js'), import('../importers/detect.js')]);
  const { groups, found } = run;
  const stopped = run.stoppedBy;
  const sctx = {
    format: groups.length === 1 ? groups[0]!.adapter.id : ('mixed' as const),
    chosenBy: plan.from === 'auto' ? ('auto' as const) : ('flag' as const),
    autoReason: found.autoReason,
    catalog: run.catalog,
    defaults: plan.defaults,
    userIdsHashed: plan.hashSalt !== undefined,
    output: plan.send ? `the API (--send)${plan.output !== undefined ? ` and ${plan.output}` : ''}` : resultName(plan.output ?? 'stdout', stopped !== undefined && plan.output !== undefined),
    rejectsFile: plan.rejects && resultName(plan.rejects, stopped !== undefined),
    notes: groups.flatMap((g) => g.ctx.batchIds?.notes(g.sources.map((src) => src.name)) ?? []),
    now: new Date(run.now).toISOString(),
    leftOut: found.leftOut,
    excluded: { globs: plan.exclude, files: found.excluded },
    window: plan.window && { since: plan.window.sinceIso, until: plan.window.untilIso },
  };
  if (plan.from !== 'auto') sctx.notes.push(...(await otherFormats(tally.files, groups[0]!.sources, plan.from, detect.formatOfFile)));
  const s = summary.buildSummary(tally, sctx);
  // Coverage of a complete import only: the rows not read would show as gaps.
  const coverage = run.against && !stopped ? await (await import('./import-coverage.js')).importCoverage(run.against, s.breakdown, run.catalog, paintFor(process.stderr)) : undefined;
  // An interrupted run says so in --summary-json too: its counts are those of the rows read.
  const json = plan.summaryJson ? JSON.stringify(stopped ? { interrupted: { signal: stopped, exitCode: SIGNAL_EXIT[stopped] }, ...s } : s, null, 2) + '\n' : undefined;
  // The page is made only for a complete run: a report of some of the rows would read as the whole import.
  const page = plan.report && !stopped ? (await import('../importers/report-page.js')).reportPage(s, { users: summary.userSpend(tally), generatedAt: sctx.now, version: VERSION, coverage: coverage?.doc }) : undefined;
  let kept: string[] = [];
  try {
    if (stopped) kept = await outputs.keepPartial(json);
    else await outputs.commit(json, page);
  } catch (e) {
    outputs.discard();
    if (sending) await sending; // let the send finish and report first
    if (e instanceof OpsmeterError) throw new OpsmeterError(`${e.message}${notKept(outputs)}`, e.exitCode, e.hint);
    throw e;
  }
  // On a terminal the send's progress line may be showing: start on a clean line.
  process.stderr.write((sending && process.stderr.isTTY ? '\r\x1b[2K' : '') + summaryText(s, sctx, { chart: process.stderr.isTTY === true }));
  if (coverage) process.stderr.write(coverage.text);
  if (page !== undefined) process.stderr.write(`  report → ${plan.report}\n`);
  if (stopped) {
    const rows = tally.read.toLocaleString('en-US');
    process.stderr.write(`opsmeter import: ${SIGNAL_WORDS[stopped]}: stopped reading after ${rows} rows; the counts above are those rows'${kept.map((k) => `\n  ${k}`).join('')}\n`);
  }
  if (!s.invariantHolds) throw new Error(`import invariant broken: ${s.invariant}`);
  // Not everything was imported: rows rejected, or files --from auto left out.
  // With --against, a coverage outside the tolerance too (docs/import.md).
  const importCode = stopped ? SIGNAL_EXIT[stopped] : s.rejected.total > 0 || s.leftOut.length > 0 || (coverage?.code ?? EXIT.ok) !== EXIT.ok ? EXIT.failed : EXIT.ok;
  if (!sending) return importCode;
  const sent = await sending;
  if ('error' in sent) throw sent.error;
  // The send's codes (1 rejected/refused, 3 paused/blocked, 4 auth, 5 gave up, 130
  // interrupted) are all at least the import's 1, so the larger code is the one that matters.
  return Math.max(importCode, sent.code);
}

/** Files of a `--from X` run whose every row was rejected and that look like another format: one note each. */
async function otherFormats(
  files: readonly { file: string; rows: number; rejected: number }[],
  sources: readonly import('../read/records.js').Source[],
  from: string,
  formatOf: (s: import('../read/records.js').Source) => Promise<{ id: string } | undefined>,
): Promise<string[]> {
  const notes: string[] = [];
  const MAX = 20; // each is opened again to look at it; a run of thousands of wrong files needs no more
  const wrong = files.filter((f) => f.rows > 0 && f.rejected === f.rows);
  const byName = new Map(sources.map((s) => [s.name, s]));
  for (const f of wrong.slice(0, MAX)) {
    const source = byName.get(f.file);
    const other = source && (await formatOf(source));
    if (other && other.id !== from) notes.push(`⚠ ${f.file} looks like ${other.id}, not ${from}: its ${f.rows.toLocaleString('en-US')} rows were rejected (import it with --from ${other.id}, or --from auto to read each file as its own format)`);
  }
  if (wrong.length > MAX) notes.push(`⚠ ${wrong.length - MAX} more files had every row rejected (see --summary-json files[].rejected)`);
  return notes;
}
