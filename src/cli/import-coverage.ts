/**
 * `import --against REPORT…`: the import's coverage of the providers' own usage and cost
 * reports. The reports are read before the import (a file that is no report stops it with exit
 * 2 before any work); at its end the import's breakdown, in memory, is reconciled with them by
 * reconcile's own path (src/reconcile/run.ts): no second read of the payloads, no second
 * comparison. docs/import.md "Coverage against the providers' reports" documents it.
 */
import type { Catalog } from '../contract/catalog.js';
import { EXIT } from '../errors.js';
import type { BreakdownCell } from '../reconcile/summary.js';
import type { ReconcileDocument } from '../reconcile/document.js';
import type { DayRange, ReportCollector } from '../reconcile/reports.js';
import type { ImportPlan, ImportWindow } from './import-plan.js';

export interface AgainstReports {
  reported: ReportCollector;
  range: DayRange;
  tolerancePct: number;
}

/**
 * The import's --since/--until as UTC days (until exclusive, so its last day is the instant
 * before it): reported days outside the import's window are not "reported but not imported".
 */
function daysOf(window: ImportWindow | undefined): DayRange {
  const range: DayRange = {};
  if (window?.since !== undefined) range.since = new Date(window.since).toISOString().slice(0, 10);
  if (window?.until !== undefined) range.until = new Date(window.until - 1).toISOString().slice(0, 10);
  return range;
}

/** Reads and checks the reports (overlapping pages included) before the import starts. */
export async function readAgainst(plan: ImportPlan): Promise<AgainstReports | undefined> {
  if (!plan.against) return undefined;
  const read = await import('../reconcile/read.js');
  const { reports } = await read.expandInputs([], plan.against.reports);
  const range = daysOf(plan.window);
  const reported = await read.readReports(reports, range);
  for (const part of reported.parts.values()) part.scope();
  return { reported, range, tolerancePct: plan.against.tolerancePct };
}

/** The import's breakdown reconciled with the reports: the document, its lines for the summary, and the exit code it asks for. */
export async function importCoverage(
  against: AgainstReports,
  breakdown: readonly BreakdownCell[],
  catalog: Catalog,
  paint: import('../terminal.js').Paint,
): Promise<{ doc: ReconcileDocument; text: string; code: number }> {
  const [{ runReconciliation }, { coverageLines }, { DEFAULT_FIELDS }] = await Promise.all([import('../reconcile/run.js'), import('../reconcile/render.js'), import('../reconcile/compare.js')]);
  const doc = await runReconciliation(against.reported, { name: '(this import)', breakdown }, { catalog, fields: DEFAULT_FIELDS, range: against.range, tolerancePct: against.tolerancePct });
  // Outside the tolerance, or nothing compared (no shared day): the import's check did not pass.
  return { doc, text: coverageLines(doc, paint), code: doc.verdict === 'within tolerance' ? EXIT.ok : EXIT.failed };
}
