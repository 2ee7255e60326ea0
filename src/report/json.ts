/** Machine output: the whole result as one JSON document (stable field names). */
import type { Problem } from '../problem.js';
import type { Counts, FileSummary, ValidateOutcome } from '../validate/validate.js';
import { jsonWithStreamedArray, STREAMED, type RenderContext, type Renderer } from './types.js';

/** The document `validate --format json` prints, and what the API's validateFiles returns. */
export interface JsonReport {
  tool: { name: 'opsmeter'; version: string };
  /** The catalog checked against, e.g. "built-in snapshot, 2025-09-05". */
  catalog: string;
  /**
   * Exact counts; `omitted` = problems found but not listed (--max-errors); `maxWarnings` when
   * set; `quietWarnings` = warnings counted but not listed because of --quiet (when any);
   * `warningsSkipped` = --quiet without a warning threshold: warnings were not checked.
   */
  summary: Counts & { omitted: number; bailed: boolean; strict: boolean; maxWarnings?: number; quietWarnings?: number; warningsSkipped?: true };
  /** The rule settings that differ from the defaults (config file, --rule), when any. */
  rules?: Readonly<Record<string, string>>;
  /** Problems per rule id (exact, including omitted ones). */
  byRule: Record<string, number>;
  files: FileSummary[];
  problems: Omit<Problem, 'excerpt' | 'excerptColumn'>[];
}

/** The report with every problem in memory (the API's validateFiles). */
export function jsonReport(result: ValidateOutcome, ctx: JsonContext): JsonReport {
  return { ...jsonHead(result, ctx), problems: Array.from(result.problems, withoutExcerpt) };
}

type JsonContext = Pick<RenderContext, 'strict' | 'version' | 'catalog' | 'maxWarnings' | 'ruleSettings'>;

/** Everything but the problems, which come last. */
function jsonHead(result: Omit<ValidateOutcome, 'problems'>, ctx: JsonContext): Omit<JsonReport, 'problems'> {
  return {
    tool: { name: 'opsmeter', version: ctx.version },
    catalog: ctx.catalog,
    summary: {
      ...result.counts,
      omitted: result.omitted,
      bailed: result.bailed,
      strict: ctx.strict,
      ...(ctx.maxWarnings !== undefined ? { maxWarnings: ctx.maxWarnings } : {}),
      ...(result.quietWarnings > 0 ? { quietWarnings: result.quietWarnings } : {}),
      ...(result.warningsSkipped ? { warningsSkipped: true as const } : {}),
    },
    ...(ctx.ruleSettings && Object.keys(ctx.ruleSettings).length > 0 ? { rules: ctx.ruleSettings } : {}),
    byRule: result.byRule,
    files: result.files,
  };
}

const withoutExcerpt = ({ excerpt: _excerpt, excerptColumn: _excerptColumn, ...p }: Problem): JsonReport['problems'][number] => p;

/** The same document, streamed: the problems are written one at a time. */
export const streamJson: Renderer = (result, ctx) =>
  jsonWithStreamedArray({ ...jsonHead(result, ctx), problems: STREAMED }, result.problems, withoutExcerpt);
