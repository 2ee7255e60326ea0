/**
 * CloudWatch Logs Insights query results (docs/import-formats.md `bedrock`, "Logs Insights
 * export"): what `aws logs get-query-results` prints and the console's "Export results → JSON"
 * saves — `{results: [[{field, value}, …], …], statistics, status}`, one row per log event,
 * each cell a `{field, value}` pair with the value as text. The log event itself is the
 * `@message` cell (the query must select it: `fields @message`).
 */
import { isObject, kindOf } from './source-fields.js';

/**
 * Is this value a Logs Insights result document? The whole one has `status` (and `statistics`);
 * the head of one too large to peek at whole is its first rows (`{results}` only, from the
 * sniff), told by their shape: every row an array of `{field, value}` cells.
 */
export function isLogsInsightsExport(v: unknown): v is { results: unknown[] } {
  if (!isObject(v) || !Array.isArray(v.results)) return false;
  if ('status' in v) return 'statistics' in v || v.results.every((r) => Array.isArray(r));
  return Object.keys(v).length === 1 && v.results.length > 0 && v.results.every(isInsightsRow);
}

/** The rows of an export, each with its JSON pointer in the document (for its line number). */
export function insightsRows(v: { results: unknown[] }): { value: unknown; pointer: string }[] {
  return v.results.map((value, i) => ({ value, pointer: `/results/${i}` }));
}

/** A row is an array of `{field, value}` cells. */
export function isInsightsRow(v: unknown): v is unknown[] {
  return Array.isArray(v) && v.length > 0 && v.every((c) => isObject(c) && typeof c.field === 'string');
}

/**
 * The log event a row holds, parsed from its `@message` cell, or why there is none (a
 * one-line reason for the reject).
 */
export function insightsMessage(row: unknown[]): { value: unknown } | { problem: string } {
  const cell = row.find((c) => isObject(c) && c.field === '@message');
  if (!isObject(cell)) return { problem: 'the Logs Insights row has no @message field: run the query with `fields @message` (or no fields command)' };
  if (typeof cell.value !== 'string') return { problem: `the @message cell is ${kindOf(cell.value)}, not text` };
  try {
    return { value: JSON.parse(cell.value) };
  } catch (e) {
    return { problem: `the @message cell is not a JSON record: ${(e as Error).message}` };
  }
}
