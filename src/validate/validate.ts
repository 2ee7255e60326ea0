/**
 * The validate core: reads every source, lints every record, and produces problems in
 * the one problem model (src/problem.ts). No output formatting and no exit codes here —
 * the CLI picks a renderer (src/report/) and derives the exit code from the result.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { stat } from 'node:fs/promises';
import type { Catalog } from '../contract/catalog.js';
import { lintPayload, type Finding, type LintContext } from '../contract/lint.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import { RULES, ruleById, type RuleInfo } from '../contract/rules.js';
import type { Problem } from '../problem.js';
import { STOP } from '../read/lines.js';
import { loadLocator, locatorReady, type Position } from '../read/locate.js';
import { SourceError, lineIssueFault, readRecordStream, sourceChunks, type FaultInfo, type ReadFault, type ReadStats, type RecordInfo, type RecordSink, type Source, type SourceFormat } from '../read/records.js';
import { DuplicateIndex, contentFingerprint, type DeferredRepeat } from './duplicates.js';
import { DEFAULT_PROBLEMS_IN_MEMORY, ProblemList, ProblemStore } from './problem-store.js';
import { RecordCopy } from './record-copy.js';
import type { CheckJob, CheckedBatch } from './batch.js';

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
   * threads, with the same problems in the same order. Off when not given.
   */
  parallel?: { threads: number; minBytes: number };
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

/** The duplicate-id finding, as found on the way or at the end. */
function duplicateFinding(id: string, firstAt: string): Finding {
  return {
    rule: RULES.duplicateExternalRequestId,
    pointer: '/externalRequestId',
    message: `externalRequestId "${id}" was already used at ${firstAt} with different content; the server counts only one`,
    hint: 'give each LLM call its own id; reuse an id only for a retry of the same call',
    target: 'value',
  };
}

const FAULT_RULE: Record<ReadFault, RuleInfo> = {
  syntax: RULES.jsonSyntax,
  'duplicate-key': RULES.jsonDuplicateKey,
  'line-too-long': RULES.jsonLineTooLong,
  encoding: RULES.jsonEncoding,
};

/** readRecordStream, with IO failures as the user's error (exit 2), naming the file. */
async function readSource(source: Source, chunks: AsyncIterable<Buffer>, format: SourceFormat | undefined, sink: RecordSink): Promise<ReadStats> {
  try {
    return await readRecordStream(chunks, format, sink);
  } catch (e) {
    throw readFailure(source, e);
  }
}

/** An IO failure as the user's error (exit 2), naming the file; anything else is a bug and must not pass as one. */
function readFailure(source: Source, e: unknown): unknown {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string' && !(e instanceof SourceError)) return e;
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
  return new SourceReadError(source.name, `${source.name}: cannot read: ${why}`);
}

/**
 * Whether a source may be checked in worker threads: a plain JSONL file (by its name) of at
 * least `minBytes`. One that starts with a UTF-16 byte order mark is read on one thread after
 * all (checkInThreads), where the line reader reports it once, as a whole.
 */
async function inThreads(source: Source, parallel: ValidateOptions['parallel']): Promise<boolean> {
  if (!parallel || source.path === '-' || source.format !== 'jsonl') return false;
  try {
    const info = await stat(source.path);
    return info.isFile() && info.size >= parallel.minBytes;
  } catch {
    return false; // unreadable: the one-thread reader reports it
  }
}

/** A file that cannot be read at all (exit 2). */
class SourceReadError extends OpsmeterError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message, EXIT.usage);
  }
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

/** Validate in bounded memory: the CLI writes its report from `problems` as it reads them back. */
export async function validateSourcesStreamed(sources: readonly Source[], opts: StreamedValidateOptions): Promise<StreamedValidateResult> {
  const ctx: LintContext = { catalog: opts.catalog, now: opts.now ?? Date.now() };
  const policy = opts.rules !== undefined && !opts.rules.isDefault ? opts.rules : undefined;
  if (policy) ctx.rules = policy;
  const maxProblems = opts.maxProblems ?? Infinity;
  const quiet = opts.quiet === true;
  // Errors only, as ESLint 9's --quiet: warning rules do not run, nothing counts them.
  const skipWarnings = quiet && opts.countQuietWarnings !== true;
  if (skipWarnings) ctx.errorsOnly = true;
  // Kept for printing, each list in place order; merged by place when the report is written.
  const inMemory = opts.problemsInMemory ?? DEFAULT_PROBLEMS_IN_MEMORY;
  const lists = {
    errors: new ProblemStore(inMemory, 'errors'),
    lateErrors: new ProblemStore(inMemory, 'late-errors'),
    warnings: new ProblemStore(inMemory, 'warnings'),
    lateWarnings: new ProblemStore(inMemory, 'late-warnings'),
  };
  const keptErrors = lists.errors;
  const keptWarnings = lists.warnings;
  let seq = 0;
  /** How many more problems of each severity could still be printed (see wouldKeep). */
  const room = () => ({
    errorRoom: Math.max(0, maxProblems - keptErrors.length),
    warningRoom: quiet ? 0 : Math.max(0, maxProblems - keptErrors.length - keptWarnings.length),
  });
  /** Whether one more problem of this severity could still be printed. */
  const wouldKeep = (severity: RuleInfo['severity']) =>
    severity === 'error' ? keptErrors.length < maxProblems : !quiet && keptWarnings.length < maxProblems - keptErrors.length;
  const counts: Counts = { files: 0, records: 0, errors: 0, warnings: 0 };
  let byRule: Record<string, number> = {};
  /** Where each rule was first counted (place, then count order): late repeats must not move their rule's key in byRule. */
  const firstCounted = new Map<string, [number, number]>();
  let lateCounted = false;
  const files: FileSummary[] = [];
  /** The arrival number of each file's first record. */
  const firstOrdinal: number[] = [];
  // A rule turned off (or a warning under --quiet) needs no index at all.
  const duplicateRule = policy ? policy.effective(RULES.duplicateExternalRequestId) : RULES.duplicateExternalRequestId;
  const checkDuplicates = duplicateRule !== null && !(skipWarnings && duplicateRule.severity !== 'error');
  const dupes = new DuplicateIndex(checkDuplicates ? await expectedRecords(sources) : 0, {
    maxEntries: opts.duplicateIndexEntries,
  });
  /** Stdin cannot be read twice: its records from the spill on, for repeats found at the end (see reportLateRepeats). */
  const stdinCopies = new Map<number, RecordCopy>();
  let bailed = false;
  let finished = false;

  /** Where an id was first used, as the duplicate message says it. */
  const firstAt = (firstFile: number, firstLine: number, fileIndex: number) =>
    firstFile === fileIndex ? `line ${firstLine}` : `${sources[firstFile]!.name}:${firstLine}`;

  /**
   * Count a problem, and keep it for printing while under maxProblems. The position is
   * computed lazily: locating re-parses the record, which is wasted work once the cap
   * is reached. `late`: a repeat found at the end; late ones arrive in place order, so the
   * first maxProblems of them are the only ones a capped report can show. Returns STOP when
   * --bail should end the run.
   */
  const report = (fileIndex: number, order: number, configured: RuleInfo, where: () => Position, pointer: string, message: string, hint?: string, late = false): typeof STOP | undefined => {
    const source = sources[fileIndex]!;
    const summary = files[fileIndex]!;
    // Lint's findings arrive with the settings applied; validate's own (empty file,
    // duplicate ids) get them here. Applying them twice changes nothing.
    const rule = policy ? policy.effective(configured) : configured;
    if (rule === null || (skipWarnings && rule.severity !== 'error')) return undefined;
    if (byRule[rule.id] === undefined) {
      byRule[rule.id] = 0;
      firstCounted.set(rule.id, [order, firstCounted.size]);
      lateCounted ||= late;
    }
    byRule[rule.id]!++;
    if (rule.severity === 'error') {
      counts.errors++;
      summary.errors++;
    } else {
      counts.warnings++;
      summary.warnings++;
    }
    const lateList = rule.severity === 'error' ? lists.lateErrors : lists.lateWarnings;
    if (late ? (rule.severity === 'error' || !quiet) && lateList.length < maxProblems : wouldKeep(rule.severity)) {
      const pos = where();
      const p: Problem = { file: source.name, line: pos.line, column: pos.column, pointer, rule: rule.id, severity: rule.severity, message };
      // Every problem says what to do: the finding's own hint, else the rule's.
      p.hint = hint ?? rule.hint;
      if (pos.text !== undefined && opts.excerpts !== false) {
        p.excerpt = pos.text;
        if (pos.textColumn !== undefined) p.excerptColumn = pos.textColumn;
      }
      (late ? lateList : rule.severity === 'error' ? keptErrors : keptWarnings).push({ p, order, seq: seq++ });
    }
    if (opts.bail && rule.severity === 'error') {
      bailed = true;
      return STOP;
    }
    return undefined;
  };

  /**
   * Repeats the spilled index found only at the end (in arrival order): each file that has
   * some is read again up to its last one, to give the problem its id and exact position.
   */
  const reportLateRepeats = async () => {
    const repeats = dupes.deferred()[Symbol.iterator]();
    try {
      await reportRepeats(repeats);
    } finally {
      repeats.return(undefined); // stopped early (--bail): its temp file goes now
    }
  };
  const reportRepeats = async (repeats: Generator<DeferredRepeat>) => {
    let next = repeats.next();
    if (next.done) return;
    await loadLocator();
    while (!next.done && !bailed) {
      const fileIndex = next.value.fileIndex;
      const source = sources[fileIndex]!;
      /** Reports the repeat if record `o` is the next one; STOP once the file has no more. */
      const onRecord = (r: RecordInfo, o: number): typeof STOP | undefined => {
        const repeat = next.value as DeferredRepeat;
        next = repeats.next();
        const id = (r.value as { externalRequestId?: unknown } | null)?.externalRequestId;
        // The file changed since it was read (its record is no longer the one indexed): skip it.
        if (typeof id === 'string') {
          const f = duplicateFinding(id, firstAt(repeat.firstFileIndex, repeat.firstLine, fileIndex));
          if (report(fileIndex, o, f.rule, () => r.locate(f.pointer, f.target), r.pointer + f.pointer, f.message, f.hint, true) === STOP) return STOP;
        }
        return next.done || next.value.fileIndex !== fileIndex ? STOP : undefined;
      };
      const copy = stdinCopies.get(fileIndex);
      if (copy) {
        for (const c of copy.records()) {
          if (next.value.ordinal === c.ordinal && onRecord(c.record(c.ordinal - firstOrdinal[fileIndex]!), c.ordinal) === STOP) break;
        }
      } else {
        let ordinal = firstOrdinal[fileIndex]!;
        await readSource(source, sourceChunks(source.path), files[fileIndex]!.format as SourceFormat, {
          fault: () => undefined,
          record: (r) => {
            const o = ordinal++;
            return next.done || next.value.ordinal !== o ? undefined : onRecord(r, o);
          },
        });
      }
      // Repeats the second reading did not reach (the file got shorter) are skipped.
      while (!next.done && next.value.fileIndex === fileIndex) next = repeats.next();
    }
  };

  let pool: import('./parallel.js').CheckPool | undefined; // started for the first file checked in threads

  /**
   * A large JSONL file parsed and linted in worker threads, applied batch by batch in file
   * order as the record handler below applies one record: the same counts, duplicate check
   * and problems, in the same order. Undefined for a UTF-16 file, before any thread starts.
   */
  const checkInThreads = async (fileIndex: number, onFault: (f: FaultInfo) => typeof STOP | undefined): Promise<ReadStats | undefined> => {
    const source = sources[fileIndex]!;
    const { CheckPool, Col, F, FAULT, TARGETS, batchRecords, fileBytes, inPool } = await import('./parallel.js');
    let bytes: Awaited<ReturnType<typeof fileBytes>>;
    try {
      bytes = await fileBytes(source.path);
    } catch (e) {
      throw readFailure(source, e);
    }
    if (bytes.utf16) {
      await bytes.close();
      return undefined;
    }
    pool ??= new CheckPool(
      {
        catalog: { entries: opts.catalog.list(), date: opts.catalog.date, source: opts.catalog.source },
        now: ctx.now,
        rules: policy?.settings,
        errorsOnly: skipWarnings,
        duplicates: checkDuplicates,
        excerpts: opts.excerpts !== false,
      },
      opts.parallel!.threads,
    );
    let records = 0;
    let blankLines = 0;
    const apply = async (item: { job: CheckJob; result: CheckedBatch } | { longLine: number }): Promise<typeof STOP | undefined> => {
      if ('longLine' in item) return onFault(lineIssueFault('too-long', item.longLine));
      const { job, result } = item;
      const { rows, findings, strings, faults } = result;
      records += result.records;
      blankLines += result.blankLines;
      let next = 0; // the next record's first finding, at next * F.Size
      let byLine: Map<number, RecordInfo> | undefined; // the batch's records, read again
      /** A record of this batch, read again with its locator ready: for a position the thread did not find, or a repeated id's message. */
      const again = async (line: number): Promise<RecordInfo> => {
        byLine ??= await batchRecords(result.bytes, result.length, job.linesBefore);
        if (!locatorReady()) await loadLocator();
        return byLine.get(line)!;
      };
      for (let i = 0; i < result.count; i++) {
        const o = i * Col.Size;
        const line = rows[o + Col.Line]!;
        if (rows[o + Col.Kind] === FAULT) {
          if (onFault(faults[rows[o + Col.Findings]!]!) === STOP) return STOP;
          continue;
        }
        const ordinal = counts.records++;
        const n = rows[o + Col.Findings]!;
        for (let k = next; k < next + n; k++) {
          const d = k * F.Size;
          const rule = ruleById(strings[findings[d + F.Rule]!]!)!;
          const pointer = strings[findings[d + F.Pointer]!]!;
          const hintAt = findings[d + F.Hint]!;
          let pos: Position | undefined;
          if (findings[d + F.Located] === 1) {
            const textAt = findings[d + F.Text]!;
            const textColumn = findings[d + F.TextColumn]!;
            pos = { line: findings[d + F.Line]!, column: findings[d + F.Column]! };
            if (textAt >= 0) pos.text = strings[textAt]!;
            if (!Number.isNaN(textColumn)) pos.textColumn = textColumn;
          } else {
            // Past the room the report had when the batch was sent (CheckJob). The room only
            // shrinks, so this one is not printed; should it be, its position is found here.
            const effective = policy ? policy.effective(rule) : rule;
            if (effective !== null && wouldKeep(effective.severity)) pos = (await again(line)).locate(pointer, TARGETS[findings[d + F.Target]!]!);
          }
          const at = pos ?? { line, column: 1 };
          if (report(fileIndex, ordinal, rule, () => at, pointer, strings[findings[d + F.Message]!]!, hintAt >= 0 ? strings[hintAt] : undefined) === STOP) return STOP;
        }
        next += n;
        if (rows[o + Col.HasId] === 1) {
          const first = dupes.addKey(rows[o + Col.IdA]!, rows[o + Col.IdB]!, rows[o + Col.Fingerprint]!, fileIndex, line, ordinal);
          if (first && !first.sameContent) {
            // The id, for the message, and its position from the record read again: the threads send no ids.
            const r = await again(line);
            const f = duplicateFinding((r.value as { externalRequestId: string }).externalRequestId, firstAt(first.fileIndex, first.line, fileIndex));
            if (report(fileIndex, ordinal, f.rule, () => r.locate(f.pointer, f.target), f.pointer, f.message, f.hint) === STOP) return STOP;
          }
        }
      }
      return undefined;
    };
    try {
      const { lines, stopped } = await inPool(pool, bytes, source.name, (lines): CheckJob => ({ ...lines, ...room() }), apply);
      return { format: 'jsonl', records, lines, blankLines, bytes: 0, stopped };
    } catch (e) {
      throw readFailure(source, e);
    } finally {
      await bytes.close();
    }
  };

  try {
    for (let fileIndex = 0; fileIndex < sources.length && !bailed; fileIndex++) {
      const source = sources[fileIndex]!;
      const summary: FileSummary = { file: source.name, format: 'unreadable', records: 0, blankLines: 0, errors: 0, warnings: 0 };
      files.push(summary);
      firstOrdinal.push(counts.records);
      counts.files++;
      // Faults and a file's own problems print between the records they come between.
      const between = () => counts.records - 0.5;

      const onFault = (f: FaultInfo) =>
        report(fileIndex, between(), FAULT_RULE[f.fault], () => ({ line: f.line, column: f.column, text: f.text, textColumn: f.textColumn }), f.pointer, f.message);

      const fromStdin = source.path === '-';
      const threaded = (await inThreads(source, opts.parallel)) ? await checkInThreads(fileIndex, onFault) : undefined;
      const stats = threaded ?? await readSource(source, sourceChunks(source.path), source.format, {
        fault: onFault,
        record: (r) => {
          const ordinal = counts.records++;
          const findings: Finding[] = lintPayload(r.value, ctx);
          const id = (r.value as { externalRequestId?: unknown } | null)?.externalRequestId;
          if (checkDuplicates && typeof id === 'string' && id !== '') {
            // A fingerprint of the parsed fields, not the raw text: the same payload formatted
            // differently (a .json file and a JSONL line, other key order) is the same content.
            const content = contentFingerprint(r.value);
            // Only records indexed after the spill can be repeats found at the end.
            if (fromStdin && dupes.spilled) {
              let copy = stdinCopies.get(fileIndex);
              if (copy === undefined) stdinCopies.set(fileIndex, (copy = new RecordCopy()));
              copy.add(ordinal, r);
            }
            const first = dupes.add(id, content, fileIndex, r.line, ordinal);
            if (first && !first.sameContent) findings.push(duplicateFinding(id, firstAt(first.fileIndex, first.line, fileIndex)));
          }
          if (findings.length === 0) return undefined;
          const emit = (): typeof STOP | undefined => {
            for (const f of findings) {
              if (report(fileIndex, ordinal, f.rule, () => r.locate(f.pointer, f.target), r.pointer + f.pointer, f.message, f.hint) === STOP) return STOP;
            }
            return undefined;
          };
          // Positions need the (lazily loaded) locator, but only while problems are still printed.
          return locatorReady() || !(wouldKeep('error') || wouldKeep('warning')) ? emit() : loadLocator().then(emit);
        },
      });
      summary.format = stats.format;
      summary.records = stats.records;
      summary.blankLines = stats.blankLines;
      if (stats.records === 0 && summary.errors === 0 && !bailed) {
        const what = stats.lines === 0 ? 'the file is empty' : stats.format === 'json' && stats.blankLines === 0 ? 'the array is empty' : 'the file holds only blank lines';
        report(fileIndex, between(), RULES.fileEmpty, () => ({ line: 1, column: 1 }), '', `no payloads: ${what}`);
      }
    }
    if (dupes.spilled && !bailed) await reportLateRepeats();
    finished = true;
  } finally {
    await pool?.close();
    dupes.close();
    for (const copy of stdinCopies.values()) copy.close();
    // A run that failed (a file that cannot be read) has no report to write from its lists.
    if (!finished) for (const list of Object.values(lists)) list.close();
  }
  const problems = new ProblemList(lists, maxProblems);
  if (lateCounted) {
    // byRule lists rules in the order first met; a rule first met at the end goes where its
    // first problem is, as it would have been met on the way.
    const place = (id: string) => firstCounted.get(id)!;
    const ids = Object.keys(byRule).sort((a, b) => place(a)[0] - place(b)[0] || place(a)[1] - place(b)[1]);
    byRule = Object.fromEntries(ids.map((id) => [id, byRule[id]!]));
  }
  const quietWarnings = quiet ? counts.warnings : 0;
  const omittedErrors = counts.errors - problems.errorsShown;
  const omitted = counts.errors + counts.warnings - quietWarnings - problems.length;
  return { files, problems, counts, omitted, omittedErrors, quietWarnings, warningsSkipped: skipWarnings, bailed, byRule, close: () => problems.close() };
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

/**
 * A rough estimate of the records to expect (a realistic payload line is ~250-400 bytes),
 * so the duplicate table is sized once instead of growing through a million inserts.
 */
async function expectedRecords(sources: readonly Source[]): Promise<number> {
  let bytes = 0;
  for (const s of sources) {
    if (s.path === '-') continue;
    try {
      bytes += (await stat(s.path)).size;
    } catch {
      /* unreadable: reported when it is read */
    }
  }
  return Math.ceil(bytes / 256);
}
