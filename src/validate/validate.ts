/**
 * The validate core: reads every source, lints every record, and produces problems in
 * the one problem model (src/problem.ts). No output formatting and no exit codes here —
 * the CLI picks a renderer (src/report/) and derives the exit code from the result.
 */
import { stat } from 'node:fs/promises';
import { EXIT } from '../errors.js';
import type { Catalog } from '../contract/catalog.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import type { Problem } from '../problem.js';
import { threadsFor, type ThreadPlan } from '../read/idle-cores.js';
import type { ReadStats, Source, SourceFormat } from '../read/records.js';
import type { CheckPool } from './parallel.js';
import type { ProblemList } from './problem-store.js';
import { readRows } from './read-rows.js';
import { ValidateRun } from './run.js';

export interface ValidateOptions {
  catalog: Catalog;
  /** Epoch ms for createdAt checks. */
  now?: number;
  /** Stop at the first error. */
  bail?: boolean;
  /**
   * How many problems to keep for printing (counts stay exact). Errors are kept first:
   * warnings fill only the room the errors leave, so a cap never hides an error behind
   * warnings that came earlier in the files.
   */
  maxProblems?: number;
  /**
   * List errors only (--quiet). As in ESLint 9, warnings are then not checked at all unless
   * `countQuietWarnings` says a warning threshold needs their count (quietCountsWarnings).
   */
  quiet?: boolean;
  /** With quiet: still check and count warnings, without listing them. */
  countQuietWarnings?: boolean;
  /**
   * Keep each problem's source line (`excerpt`, for pretty's code frame). Default true;
   * machine formats pass false: with every problem kept, the lines would dominate memory.
   */
  excerpts?: boolean;
  /** Severity settings (opsmeter.config.json, --rule). */
  rules?: RulePolicy;
  /**
   * Ids the duplicate index keeps in memory before it spills to a temp file (default
   * ~367,000; the CLI takes a smaller bound from OPSMETER_DUPLICATE_INDEX_ENTRIES, for its
   * tests).
   */
  duplicateIndexEntries?: number;
  /**
   * Worker threads for large JSONL files (docs/validate.md "Speed on a large JSONL file"):
   * a plain `.jsonl`/`.ndjson` file of at least `minBytes` is parsed and linted in `threads`
   * threads, with the same problems in the same order; by default only when the cores are
   * idle at the first such file (`whenIdle`, read/idle-cores.ts). Off when not given.
   */
  parallel?: ThreadPlan;
}

export interface StreamedValidateOptions extends ValidateOptions {
  /**
   * Problems held in memory per list (errors, warnings) before the rest go to a temp file
   * (default 10,000; the CLI takes a smaller bound from OPSMETER_PROBLEMS_IN_MEMORY, for its
   * tests).
   */
  problemsInMemory?: number;
}

export interface FileSummary {
  file: string;
  format: SourceFormat | 'unreadable';
  records: number;
  blankLines: number;
  errors: number;
  warnings: number;
}

export interface Counts {
  files: number;
  records: number;
  errors: number;
  warnings: number;
}

export interface ValidateResult {
  files: FileSummary[];
  /** The problems kept for printing (errors first, up to `maxProblems`), in file and line order. */
  problems: Problem[];
  counts: Counts;
  /** Problems found but not kept because of maxProblems (warnings hidden by --quiet not included). */
  omitted: number;
  /** Of `omitted`, how many are errors (0 unless there are more errors than maxProblems). */
  omittedErrors: number;
  /** Warnings counted but not listed because of --quiet. */
  quietWarnings: number;
  /** True when --quiet skipped the warning checks (no threshold needed their count): `counts.warnings` is 0. */
  warningsSkipped: boolean;
  /** True when --bail stopped the run early. */
  bailed: boolean;
  /** Problem counts per rule id (exact, including omitted ones). */
  byRule: Record<string, number>;
}

/**
 * The worker threads a source is checked in, 0 for this thread: a plain JSONL file (by its
 * name) of at least `minBytes`, when the plan's threads start (read/idle-cores.ts: by default
 * only if the cores are idle). One that starts with a UTF-16 byte order mark is read on one
 * thread after all (checkInThreads), where the line reader reports it once, as a whole.
 */
async function threadsForSource(source: Source, parallel: ValidateOptions['parallel']): Promise<number> {
  if (!parallel || source.path === '-' || source.format !== 'jsonl') return 0;
  try {
    const info = await stat(source.path);
    if (!info.isFile() || info.size < parallel.minBytes) return 0;
  } catch {
    return 0; // unreadable: the one-thread reader reports it
  }
  return threadsFor(parallel);
}

/** What a report is made from: the result, with problems that may be read back from a temp file. */
export interface ValidateOutcome extends Omit<ValidateResult, 'problems'> {
  problems: Iterable<Problem>;
}

/** A result whose problems past the in-memory bound are in temp files: `close()` when the report is written. */
export interface StreamedValidateResult extends ValidateOutcome {
  problems: ProblemList;
  close(): void;
}

/** Validate with every kept problem in memory (the API, smoke, tests). */
export async function validateSources(sources: readonly Source[], opts: ValidateOptions): Promise<ValidateResult> {
  const run = await validateSourcesStreamed(sources, { ...opts, problemsInMemory: Infinity });
  const { close, problems, ...rest } = run;
  try {
    return { ...rest, problems: [...problems] };
  } finally {
    close();
  }
}

/**
 * Validate in bounded memory: the CLI writes its report from `problems` as it reads them back.
 * Each source's rows — read on this thread, or in worker threads for a large JSONL file — go
 * to the run's one applier, in file order (docs/validate.md "Worker threads").
 */
export async function validateSourcesStreamed(sources: readonly Source[], opts: StreamedValidateOptions): Promise<StreamedValidateResult> {
  const run = await ValidateRun.open(sources, opts);
  let pool: CheckPool | undefined; // started for the first file checked in threads
  try {
    for (let fileIndex = 0; fileIndex < sources.length && !run.bailed; fileIndex++) {
      const source = sources[fileIndex]!;
      run.startFile(fileIndex);
      let stats: ReadStats | undefined;
      const threads = await threadsForSource(source, opts.parallel);
      if (threads > 0) {
        const { CheckPool, checkInThreads } = await import('./parallel.js');
        stats = await checkInThreads(() => (pool ??= new CheckPool(run.checkSetup(), threads)), source, run, run.policy);
      }
      run.endFile(stats ?? (await readRows(source, run.checker, run)));
    }
    await run.finish();
  } finally {
    await pool?.close();
    run.close();
  }
  return run.result();
}

export interface ExitPolicy {
  /** Warnings fail the run (--strict). */
  strict: boolean;
  /** More warnings than this fail the run (--max-warnings, maxWarnings in the config). */
  maxWarnings?: number;
}

/**
 * Whether --quiet must still check warnings: only when a threshold needs their count
 * (--max-warnings or the config's maxWarnings, and --strict, which is a threshold of 0), as
 * ESLint 9 runs warn rules under --quiet only alongside --max-warnings.
 */
export function quietCountsWarnings(policy: ExitPolicy): boolean {
  return policy.strict || policy.maxWarnings !== undefined;
}

/** Exit code of `validate`: a pure function of the result. */
export function validateExitCode(result: Pick<ValidateResult, 'counts'>, policy: ExitPolicy): typeof EXIT.ok | typeof EXIT.failed {
  if (result.counts.errors > 0) return EXIT.failed;
  if (policy.strict && result.counts.warnings > 0) return EXIT.failed;
  if (policy.maxWarnings !== undefined && result.counts.warnings > policy.maxWarnings) return EXIT.failed;
  return EXIT.ok;
}
