/**
 * One import of files of several formats (`--from auto` on a mixed folder): each format's files
 * are read by that format's adapter, one format after another, into one tally, one output and
 * one duplicate-id index (RunState), so the run has one summary, one invariant and counts a
 * copy once across all files. A run of one format is the plain pipeline (run.ts).
 */
import type { Source } from '../read/records.js';
import type { ImportTally, FormatTally } from './import-summary.js';
import { newTally, runImport, type ImportOptions } from './run.js';
import { RunState } from './run-state.js';
import type { Adapter, AdapterContext } from './types.js';

export interface FormatGroup {
  adapter: Adapter;
  /** Its files, in input order. */
  sources: readonly Source[];
  ctx: AdapterContext;
}

export async function runGroups(groups: readonly FormatGroup[], opts: Omit<ImportOptions, 'adapter' | 'sources' | 'ctx' | 'run'>): Promise<ImportTally> {
  const first = groups[0];
  if (!first) throw new Error('runGroups: no format to read');
  if (groups.length === 1) {
    // One format: the plain pipeline, without the cross-format id check on every row.
    const tally = await runImport({ ...opts, adapter: first.adapter, sources: first.sources, ctx: first.ctx });
    tally.formats.push(formatTally(first, tally, { read: 0, complete: 0, partial: 0, skipped: 0, rejected: 0 }));
    return tally;
  }
  const now = opts.now ?? Date.now();
  const tally = newTally(opts, first.adapter.id, now);
  const run = new RunState(tally, opts.idIndexEntries);
  const files = groups.reduce((n, g) => n + g.sources.length, 0);
  try {
    let offset = 0;
    for (const g of groups) {
      if (opts.interrupt?.requested) {
        opts.interrupt.cutShort = true;
        break;
      }
      const before = { read: tally.read, complete: tally.complete, partial: tally.partialTotal, skipped: tally.skippedTotal, rejected: tally.rejectedTotal };
      const at = offset;
      await runImport({
        ...opts,
        now,
        adapter: g.adapter,
        sources: g.sources,
        ctx: g.ctx,
        run,
        onProgress: opts.onProgress && ((p) => opts.onProgress!({ ...p, fileIndex: at + p.fileIndex, files })),
      });
      tally.formats.push(formatTally(g, tally, before));
      run.nextFormat();
      offset += g.sources.length;
    }
  } finally {
    run.close(); // the indexes' temp files, however the run ends
  }
  return tally;
}

interface Counts {
  read: number;
  complete: number;
  partial: number;
  skipped: number;
  rejected: number;
}

function formatTally(g: FormatGroup, tally: ImportTally, before: Counts): FormatTally {
  return {
    format: g.adapter.id,
    files: g.sources.map((s) => s.name),
    read: tally.read - before.read,
    complete: tally.complete - before.complete,
    partial: tally.partialTotal - before.partial,
    skipped: tally.skippedTotal - before.skipped,
    rejected: tally.rejectedTotal - before.rejected,
  };
}
