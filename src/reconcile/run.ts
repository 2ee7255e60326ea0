/**
 * One reconciliation from the reports read to the document: the imported side read (payload
 * files, import summaries, or the running import's own breakdown), compared (compare.ts), and
 * documented (document.ts). `opsmeter reconcile` and `opsmeter import --against` both run it,
 * so the two cannot compare differently.
 */
import type { Catalog } from '../contract/catalog.js';
import type { Source } from '../read/records.js';
import { reconcile, type FieldPaths, type ReportScope } from './compare.js';
import { buildDocument, type ReconcileDocument } from './document.js';
import { Coverage, modelFamily, PayloadCollector, readPayloads, type PayloadReadOptions } from './read.js';
import type { DayRange, ReportCollector } from './reports.js';
import type { BreakdownCell } from './summary.js';

export interface ReconcileSettings {
  catalog: Catalog;
  fields: FieldPaths;
  range: DayRange;
  tolerancePct: number;
}

/** The imported side: files to read (payloads or import summaries), or an import's breakdown already in memory. */
export type ImportedSide = { sources: readonly Source[] } | { name: string; breakdown: readonly BreakdownCell[] };

export async function runReconciliation(reported: ReportCollector, imported: ImportedSide, settings: ReconcileSettings): Promise<ReconcileDocument> {
  const parts = [...reported.parts.values()];
  // Before the imported side is read: overlapping pages are refused first.
  const scopes = parts.map((p) => p.scope());
  const opts: PayloadReadOptions = { catalog: settings.catalog, fields: settings.fields, range: settings.range, coverage: new Coverage(parts) };
  let collector: PayloadCollector;
  if ('sources' in imported) {
    // The price data loads only when payloads are priced against a cost report (a summary carries its estimates).
    if (parts.some((p) => p.kind === 'cost')) opts.prices = await (await import('../prices/library.js')).PriceBook.load();
    collector = await readPayloads(imported.sources, opts);
  } else {
    collector = new PayloadCollector(opts);
    collector.startFile(imported.name);
    collector.addBreakdown(imported.breakdown);
    collector.endFile();
  }
  // A summary's day cannot be cut at a bucket's edge: days a report covers in part are left out, and named.
  const partDays = new Map<string, string[]>();
  const compared: ReportScope[] = scopes.map((s) => {
    if (collector.summaries === 0) return s;
    const part = s.days.filter((d) => !d.full).map((d) => d.day).sort();
    if (part.length > 0) partDays.set(`${s.provider}/${s.kind}`, part);
    return { ...s, days: s.days.filter((d) => d.full) };
  });
  const result = reconcile({
    imported: collector.rows(),
    reported: parts.flatMap((p) => [...p.rows.values()]),
    scopes: compared,
    tolerancePct: settings.tolerancePct,
    family: modelFamily(settings.catalog),
  });
  return buildDocument(result, collector, reported, settings.range, settings.fields, partDays);
}
