/** Machine output: the whole result as one JSON document (stable field names). */
import type { Problem } from '../problem.js';
import type { Counts, FileSummary, ValidateResult } from '../validate/validate.js';
import type { RenderContext, Renderer } from './types.js';

/** The document `validate --format json` prints, and what the API's validateFiles returns. */
export interface JsonReport {
  tool: { name: 'opsmeter'; version: string };
  /** The catalog checked against, e.g. "built-in snapshot, 2025-09-05". */
  catalog: string;
  /** Exact counts; `omitted` = problems found but not listed (--max-errors). */
  summary: Counts & { omitted: number; bailed: boolean; strict: boolean };
  /** Problems per rule id (exact, including omitted ones). */
  byRule: Record<string, number>;
  files: FileSummary[];
  problems: Omit<Problem, 'excerpt'>[];
}

export function jsonReport(result: ValidateResult, ctx: Pick<RenderContext, 'strict' | 'version' | 'catalog'>): JsonReport {
  return {
    tool: { name: 'opsmeter', version: ctx.version },
    catalog: ctx.catalog,
    summary: { ...result.counts, omitted: result.omitted, bailed: result.bailed, strict: ctx.strict },
    byRule: result.byRule,
    files: result.files,
    problems: result.problems.map(({ excerpt: _excerpt, ...p }) => p),
  };
}

export const renderJson: Renderer = (result, ctx) => JSON.stringify(jsonReport(result, ctx), null, 2) + '\n';
