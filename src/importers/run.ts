/**
 * THE import pipeline: reads every source (files, directories, globs, stdin; CSV or JSON;
 * gzip-transparent), and turns each record into a row — a payload, a skip or a reject — on
 * this thread (read-source.ts → record-rows.ts) or, for a large JSONL file, in worker threads
 * (parallel.ts → batch.ts); one applier (apply.ts) applies the rows in input order: the
 * duplicate-id check, the tally, payload JSONL and rejects (docs/import.md "The pipeline").
 *
 * Every row read ends in exactly one outcome — complete, partial, skipped or rejected —
 * including rows the reader itself cannot parse; `read = complete + partial + skipped +
 * rejected` is checked at the end. Only aggregates are kept, so memory stays flat.
 */
import type { Catalog } from '../contract/catalog.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import type { ThreadPlan } from '../read/idle-cores.js';
import type { Source } from '../read/records.js';
import { CostLedger } from '../prices/ledger.js';
import type { PriceBook } from '../prices/library.js';
import { ImportApplier, type ImportProgress } from './apply.js';
import { ImportIdIndex } from './id-index.js';
import type { BatchSetup } from './batch.js';
import type { Defaults } from './finish.js';
import { ImportTally } from './import-summary.js';
import { ImportInterrupted, type ImportInterrupt } from './interrupt.js';
import type { ImportThreads } from './parallel.js';
import { jsonRoute, openOrStop, readCsvSource, readFailure, readJsonSource, sourceMode, type Reading, type SourceRead } from './read-source.js';
import { RecordRows } from './record-rows.js';
import { RowMaker } from './row.js';
import type { RunState } from './run-state.js';
import type { LineOutput } from './sink.js';
import type { OpenedSource } from './source.js';
import type { Adapter, AdapterContext } from './types.js';

export { openAllSources, openOrStop, sourceMode } from './read-source.js';

export interface ImportOptions {
  adapter: Adapter;
  sources: readonly Source[];
  ctx: AdapterContext;
  catalog: Catalog;
  defaults: Defaults;
  hashSalt?: string;
  /** --provider: the provider of every payload, whatever the records say. */
  provider?: string;
  output: LineOutput;
  rejects?: LineOutput;
  /** Sources already opened (stdin after a sniff); others are opened here. */
  opened?: Map<Source, OpenedSource>;
  /** Called now and then with how far the import is (the CLI draws a TTY progress line). */
  onProgress?: (p: ImportProgress) => void;
  /** At most one onProgress call per this many ms (default 250). */
  progressEveryMs?: number;
  /** --since / --until as epoch ms (since inclusive, until exclusive): payloads outside are skipped (FinishOptions.window). */
  window?: { since: number | undefined; until: number | undefined };
  /** Count and price per user too (the HTML report's users). */
  users?: boolean;
  /** Epoch ms for lint's age warnings (never affects the output), and the price time of rows without createdAt. */
  now?: number;
  /** Price every payload with this (the cost estimate); absent, the import prices nothing. */
  prices?: PriceBook;
  /** Rule settings for the lint gate (see FinishOptions.rules). */
  rules?: RulePolicy;
  /** One part of a run of several formats (run-groups.ts): its tally and duplicate-id index are the run's. */
  run?: RunState;
  /** Ids the duplicate-id index keeps in memory before it spills to a temp file (default ~367,000; tests force spilling). */
  idIndexEntries?: number;
  /**
   * Convert the JSONL files of an adapter whose records are independent in `threads` worker
   * threads when a file holds at least `minBytes` (decompressed): the output is the same
   * byte for byte (docs/import.md "Performance"). Absent: everything on this thread.
   */
  parallel?: ThreadPlan;
  /**
   * A stop requested between rows (a signal): reading stops, the rows made so far are applied
   * and written whole, and the tally holds the rows read until then (`interrupt.cutShort`).
   */
  interrupt?: ImportInterrupt;
}

/** A run's tally: its cost ledger when it prices, and its users' when they are counted (ImportOptions.users). */
export function newTally(opts: Pick<ImportOptions, 'prices' | 'users'>, format: string, now: number): ImportTally {
  const book = opts.prices;
  const users = opts.users ? { costs: book && new CostLedger(book, format, now, { split: 'price-period' }), sums: new Map() } : undefined;
  return new ImportTally(book && new CostLedger(book, format, now), users);
}

export async function runImport(opts: ImportOptions): Promise<ImportTally> {
  const { adapter, ctx, sources } = opts;
  const now = opts.now ?? Date.now();
  const tally = opts.run?.tally ?? newTally(opts, adapter.id, now);
  tally.useFormat(adapter.id);
  const maker = new RowMaker({
    finish: { format: adapter.id, catalog: opts.catalog, defaults: opts.defaults, hashSalt: opts.hashSalt, now, rules: opts.rules, window: opts.window },
    provider: opts.provider,
    rejects: opts.rejects !== undefined,
    // In a run of several formats a payload row carries what the copy check across formats needs.
    crossFormat: opts.run !== undefined,
  });
  const written = opts.run?.written ?? new ImportIdIndex({ maxEntries: opts.idIndexEntries });
  const applier = new ImportApplier({
    tally,
    // Whether a record is a copy must be known before it is written: the index answers at once
    // in bounded memory (id-index.ts); a run of several formats shares the run's.
    written,
    run: opts.run,
    output: opts.output,
    rejects: opts.rejects,
    maker,
    onProgress: opts.onProgress,
    progressEveryMs: opts.progressEveryMs ?? 250,
    files: sources.length,
    interrupt: opts.interrupt,
  });
  const records = new RecordRows(adapter, ctx, maker, applier);
  let threads: ImportThreads | undefined; // started for the first file converted in worker threads
  const interrupt = opts.interrupt;
  try {
    for (const [fileIndex, source] of sources.entries()) {
      if (interrupt?.requested) {
        interrupt.cutShort = true;
        break;
      }
      const found = opts.opened?.get(source) ?? (await openOrStop(source));
      // A read waiting for input (stdin, a pipe) must not hold a requested stop.
      const opened = interrupt ? { ...found, chunks: interrupt.chunks(found.chunks) } : found;
      const mode = sourceMode(adapter, source, opened.head);
      const file = applier.startFile({ file: source.name, format: adapter.id, mode, gzip: opened.gzip, rows: 0, rejected: 0, blankLines: 0 }, opened.bytesRead);
      const reading: Reading = { adapter, ctx, records, applier, fileIndex };
      try {
        let read: SourceRead;
        const route = mode === 'csv' ? undefined : await jsonRoute(source, opened, adapter, opts.parallel);
        if (route === undefined) read = await readCsvSource(source, opened.chunks, reading);
        else if (!route.threads) read = await readJsonSource(source, route.chunks, reading);
        else {
          const { ImportThreads } = await import('./parallel.js');
          threads ??= new ImportThreads(batchSetup(opts, now), opts.parallel!.threads, { adapter, ctx, maker, records, applier });
          read = await threads.read(source, route.chunks, route.size, fileIndex);
        }
        file.blankLines = read.blankLines;
        if (read.headerOnly) file.headerOnly = true;
        const damage = opened.damage();
        // Every record that decompressed was read above; the damage itself is one reject, so the run exits 1.
        if (damage) records.settle(undefined, source.name, read.lines + 1, undefined, { kind: 'reject', reason: `damaged gzip file: ${damage} (the ${read.lines} lines before it were read)` });
      } catch (e) {
        if (!(e instanceof ImportInterrupted)) throw readFailure(e, source);
        interrupt!.cutShort = true;
      } finally {
        opened.close();
      }
      applier.endFile(file);
      if (interrupt?.cutShort) break;
    }
  } catch (e) {
    // A run that cannot go on still writes the rows it applied and counted (a --send sends them).
    try {
      applier.writePending();
    } catch {
      // The output failed too: the run's own failure is the one reported.
    }
    throw e;
  } finally {
    await threads?.close();
    if (!opts.run) written.close(); // its temp file, however the run ends (a run's index is closed by run-groups.ts)
  }
  // Also after a stop: the rows a stateful adapter still holds are applied, so every payload line is whole.
  records.finish();
  applier.finish();
  return tally;
}

/** What the worker threads need to convert as this thread would (plain data: it is copied to them). */
function batchSetup(opts: ImportOptions, now: number): BatchSetup {
  const { ctx, catalog } = opts;
  return {
    adapter: opts.adapter.id,
    map: ctx.map,
    model: ctx.model,
    batchIds: ctx.batchIds && { format: ctx.batchIds.format, flag: ctx.batchIds.flag },
    catalog: { entries: catalog.list(), date: catalog.date, source: catalog.source },
    defaults: opts.defaults,
    hashSalt: opts.hashSalt,
    provider: opts.provider,
    now,
    rules: opts.rules?.settings,
    window: opts.window,
    rejects: opts.rejects !== undefined,
    crossFormat: opts.run !== undefined,
  };
}
