/**
 * One validate run's state, and the one applier of its rows (row.ts): whichever producer
 * made a row — this thread's reader or a worker thread — it is counted, checked against
 * the duplicate index and reported here, in file order (docs/validate.md "Worker threads").
 * It also reports the repeats a spilled duplicate index finds only at the end
 * (docs/validate.md "Memory"), and makes the result.
 */
import { stat } from 'node:fs/promises';
import type { Finding, LintContext } from '../contract/lint.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import { RULES, type RuleInfo, type Severity } from '../contract/rules.js';
import type { Problem } from '../problem.js';
import { STOP } from '../read/lines.js';
import { loadLocator, locatorReady } from '../read/locate.js';
import type { FaultInfo, ReadFault, ReadStats, RecordInfo, Source, SourceFormat } from '../read/records.js';
import type { CheckSetup } from './batch.js';
import { DuplicateIndex, type DeferredRepeat, type FirstSeen } from './duplicates.js';
import { DEFAULT_PROBLEMS_IN_MEMORY, ProblemList, ProblemStore, type KeptLists } from './problem-store.js';
import { readSource } from './read-rows.js';
import { RecordCopy } from './record-copy.js';
import { RecordChecker, type CheckedRecord, type FaultRow, type Row, type RowApplier, type RowFinding, type Verdict } from './row.js';
import type { Counts, FileSummary, StreamedValidateOptions, StreamedValidateResult } from './validate.js';

const FAULT_RULE: Record<ReadFault, RuleInfo> = {
  syntax: RULES.jsonSyntax,
  'duplicate-key': RULES.jsonDuplicateKey,
  'line-too-long': RULES.jsonLineTooLong,
  encoding: RULES.jsonEncoding,
};

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

/** A fault, as the finding it is reported as (its position is known). */
function faultFinding(f: FaultInfo): RowFinding {
  return {
    rule: FAULT_RULE[f.fault],
    pointer: f.pointer,
    message: f.message,
    target: 'record',
    at: { line: f.line, column: f.column, text: f.text, textColumn: f.textColumn },
  };
}

/** The record a row holds: stdin is read on this thread only, whose rows hold theirs. */
function heldRecord(row: CheckedRecord): RecordInfo {
  const r = row.record();
  if (r instanceof Promise) throw new Error('internal: a stdin row without its record');
  return r;
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

export class ValidateRun implements RowApplier {
  /** What makes a record's row on this thread. */
  readonly checker: RecordChecker;
  private readonly ctx: LintContext;
  /** The rule settings, unless they change nothing. */
  readonly policy: RulePolicy | undefined;
  private readonly maxProblems: number;
  private readonly quiet: boolean;
  /** Errors only, as ESLint 9's --quiet: warning rules do not run, nothing counts them. */
  private readonly skipWarnings: boolean;
  /** The duplicate-id rule runs: off (or a warning under --quiet alone), no index is kept at all. */
  private readonly checkDuplicates: boolean;

  private readonly counts: Counts = { files: 0, records: 0, errors: 0, warnings: 0 };
  private readonly files: FileSummary[] = [];
  /** The arrival number of each file's first record. */
  private readonly firstOrdinal: number[] = [];
  /** The file whose rows are being applied. */
  private file = -1;
  /** Kept for printing, each list in place order; merged by place when the report is written. */
  private readonly lists: KeptLists;
  /** The order problems were found in (Kept.seq). */
  private seq = 0;
  private byRule: Record<string, number> = {};
  /** Where each rule was first counted (place, then count order): late repeats must not move their rule's key in byRule. */
  private readonly firstCounted = new Map<string, [number, number]>();
  private lateCounted = false;
  private readonly dupes: DuplicateIndex;
  /** Stdin cannot be read twice: its records from the spill on, for repeats found at the end (see reportLateRepeats). */
  private readonly stdinCopies = new Map<number, RecordCopy>();
  private stopped = false;
  private finished = false;

  /** A run over `sources`; `close()` it when done, whatever happens. */
  static async open(sources: readonly Source[], opts: StreamedValidateOptions): Promise<ValidateRun> {
    const run = new ValidateRun(sources, opts);
    if (run.checkDuplicates) run.dupes.reserve(await expectedRecords(sources));
    return run;
  }

  private constructor(
    private readonly sources: readonly Source[],
    private readonly opts: StreamedValidateOptions,
  ) {
    this.ctx = { catalog: opts.catalog, now: opts.now ?? Date.now() };
    this.policy = opts.rules !== undefined && !opts.rules.isDefault ? opts.rules : undefined;
    if (this.policy) this.ctx.rules = this.policy;
    this.maxProblems = opts.maxProblems ?? Infinity;
    this.quiet = opts.quiet === true;
    this.skipWarnings = this.quiet && opts.countQuietWarnings !== true;
    if (this.skipWarnings) this.ctx.errorsOnly = true;
    const inMemory = opts.problemsInMemory ?? DEFAULT_PROBLEMS_IN_MEMORY;
    this.lists = {
      errors: new ProblemStore(inMemory, 'errors'),
      lateErrors: new ProblemStore(inMemory, 'late-errors'),
      warnings: new ProblemStore(inMemory, 'warnings'),
      lateWarnings: new ProblemStore(inMemory, 'late-warnings'),
    };
    this.checkDuplicates = this.configured(RULES.duplicateExternalRequestId) !== null;
    this.dupes = new DuplicateIndex(0, { maxEntries: opts.duplicateIndexEntries });
    this.checker = new RecordChecker(this.ctx, this.checkDuplicates);
  }

  /** True once --bail has stopped the run. */
  get bailed(): boolean {
    return this.stopped;
  }

  /** What a worker thread needs to make the rows this thread would (plain data). */
  checkSetup(): CheckSetup {
    const { catalog } = this.opts;
    return {
      catalog: { entries: catalog.list(), date: catalog.date, source: catalog.source },
      now: this.ctx.now,
      rules: this.policy?.settings,
      errorsOnly: this.skipWarnings,
      duplicates: this.checkDuplicates,
      excerpts: this.opts.excerpts !== false,
    };
  }

  /** How many more problems of each severity the report could still print (see keeps). */
  room(): { errorRoom: number; warningRoom: number } {
    const { errors, warnings } = this.lists;
    return {
      errorRoom: Math.max(0, this.maxProblems - errors.length),
      warningRoom: this.quiet ? 0 : Math.max(0, this.maxProblems - errors.length - warnings.length),
    };
  }

  /** The next source's rows follow. */
  startFile(fileIndex: number): void {
    this.file = fileIndex;
    this.files.push({ file: this.sources[fileIndex]!.name, format: 'unreadable', records: 0, blankLines: 0, errors: 0, warnings: 0 });
    this.firstOrdinal.push(this.counts.records);
    this.counts.files++;
  }

  /** The source's rows are all applied: its summary, and a file without payloads is a problem of its own. */
  endFile(stats: ReadStats): void {
    const summary = this.files[this.file]!;
    summary.format = stats.format;
    summary.records = stats.records;
    summary.blankLines = stats.blankLines;
    if (stats.records === 0 && summary.errors === 0 && !this.stopped) {
      const what =
        stats.lines === 0 ? 'the file is empty' : stats.format === 'json' && stats.blankLines === 0 ? 'the array is empty' : 'the file holds only blank lines';
      const empty: RowFinding = { rule: RULES.fileEmpty, pointer: '', message: `no payloads: ${what}`, target: 'record', at: { line: 1, column: 1 } };
      this.report(this.file, this.between(), empty, '', undefined);
    }
  }

  apply(row: FaultRow): Verdict;
  apply(row: Row): Verdict | Promise<Verdict>;
  apply(row: Row): Verdict | Promise<Verdict> {
    // Faults print between the records they come between.
    if (row.kind === 'fault') return this.report(this.file, this.between(), faultFinding(row.fault), '', undefined);
    const ordinal = this.counts.records++;
    const first = row.hasId ? this.index(row, ordinal) : undefined;
    const repeat = first !== undefined && !first.sameContent ? first : undefined;
    if (row.findings.length === 0 && repeat === undefined) return undefined;
    return this.reportRecord(row, ordinal, repeat, 0, undefined);
  }

  /** Where a fault or a file's own problem prints: between the records it comes between. */
  private between(): number {
    return this.counts.records - 0.5;
  }

  /** Adds a record's id to the index; where it was first used when it is a repeat found now. */
  private index(row: CheckedRecord, ordinal: number): FirstSeen | undefined {
    // Only records indexed after the spill can be repeats found at the end.
    if (this.dupes.spilled && this.sources[this.file]!.path === '-') {
      let copy = this.stdinCopies.get(this.file);
      if (copy === undefined) this.stdinCopies.set(this.file, (copy = new RecordCopy()));
      copy.add(ordinal, heldRecord(row));
    }
    return this.dupes.addKey(row.idA, row.idB, row.fingerprint, this.file, row.line, ordinal);
  }

  /**
   * A record's findings from the `k`th on, then a repeat of its id. A finding that prints
   * without a position, and the repeat (its message needs the id), need the record `r`: it
   * is asked for then, and the rest waits for it when it must be read again or the locator
   * loaded. Positions are found only for what prints: locating re-parses the record.
   */
  private reportRecord(row: CheckedRecord, ordinal: number, repeat: FirstSeen | undefined, k: number, r: RecordInfo | undefined): Verdict | Promise<Verdict> {
    const findings = row.findings;
    for (; k < findings.length; k++) {
      const f = findings[k]!;
      if (r === undefined && f.at === undefined && this.prints(f.rule)) {
        const held = recordOf(row, true);
        if (held instanceof Promise) return held.then((h) => this.reportRecord(row, ordinal, repeat, k, h));
        r = held;
      }
      if (this.report(this.file, ordinal, f, row.pointer, r) === STOP) return STOP;
    }
    if (repeat === undefined) return undefined;
    if (r === undefined) {
      const held = recordOf(row, this.prints(RULES.duplicateExternalRequestId));
      if (held instanceof Promise) return held.then((h) => this.reportRepeat(row, ordinal, repeat, h));
      r = held;
    }
    return this.reportRepeat(row, ordinal, repeat, r);
  }

  /** A record's id used before with other content, found now: the problem names the id and where it was first used. */
  private reportRepeat(row: CheckedRecord, ordinal: number, repeat: FirstSeen, r: RecordInfo): Verdict {
    const id = (r.value as { externalRequestId: string }).externalRequestId;
    return this.report(this.file, ordinal, duplicateFinding(id, this.firstAt(repeat.fileIndex, repeat.line, this.file)), row.pointer, r);
  }

  /** Where an id was first used, as the duplicate message says it. */
  private firstAt(firstFile: number, firstLine: number, fileIndex: number): string {
    return firstFile === fileIndex ? `line ${firstLine}` : `${this.sources[firstFile]!.name}:${firstLine}`;
  }

  /** A problem's rule as this run counts it; null when it does not count (off, or a warning under --quiet alone). */
  private configured(rule: RuleInfo): RuleInfo | null {
    // Lint's findings arrive with the settings applied; validate's own (read faults, an empty
    // file, duplicate ids) get them here. Applying them twice changes nothing.
    const r = this.policy ? this.policy.effective(rule) : rule;
    return r === null || (this.skipWarnings && r.severity !== 'error') ? null : r;
  }

  /** Whether a problem of this rule found now would print. */
  private prints(rule: RuleInfo): boolean {
    const r = this.configured(rule);
    return r !== null && this.keeps(r.severity, false);
  }

  /**
   * Whether one more problem of this severity could still be printed: errors first, warnings
   * in the room the errors leave. `late`: a repeat found at the end; late ones arrive in place
   * order, so the first maxProblems of them are the only ones a capped report can show.
   */
  private keeps(severity: Severity, late: boolean): boolean {
    const { errors, warnings, lateErrors, lateWarnings } = this.lists;
    if (late) return (severity === 'error' || !this.quiet) && (severity === 'error' ? lateErrors : lateWarnings).length < this.maxProblems;
    return severity === 'error' ? errors.length < this.maxProblems : !this.quiet && warnings.length < this.maxProblems - errors.length;
  }

  /**
   * Counts a problem, and keeps it for printing while the report has room for it. Its
   * position is found only then (locating re-parses the record, which is wasted work once the
   * cap is reached): `f.at`, or from the record `r`. `prefix`: the record's pointer. Returns
   * STOP when --bail ends the run.
   */
  private report(fileIndex: number, order: number, f: RowFinding, prefix: string, r: RecordInfo | undefined, late = false): Verdict {
    const rule = this.configured(f.rule);
    if (rule === null) return undefined;
    if (this.byRule[rule.id] === undefined) {
      this.byRule[rule.id] = 0;
      this.firstCounted.set(rule.id, [order, this.firstCounted.size]);
      this.lateCounted ||= late;
    }
    this.byRule[rule.id]!++;
    const summary = this.files[fileIndex]!;
    if (rule.severity === 'error') {
      this.counts.errors++;
      summary.errors++;
    } else {
      this.counts.warnings++;
      summary.warnings++;
    }
    if (this.keeps(rule.severity, late)) {
      // (The record is at hand when a position is to be found: see reportRecord and reportLateRepeats.)
      const pos = f.at ?? r!.locate(f.pointer, f.target);
      const p: Problem = {
        file: this.sources[fileIndex]!.name,
        line: pos.line,
        column: pos.column,
        pointer: prefix + f.pointer,
        rule: rule.id,
        severity: rule.severity,
        message: f.message,
      };
      // Every problem says what to do: the finding's own hint, else the rule's.
      p.hint = f.hint ?? rule.hint;
      if (pos.text !== undefined && this.opts.excerpts !== false) {
        p.excerpt = pos.text;
        if (pos.textColumn !== undefined) p.excerptColumn = pos.textColumn;
      }
      const { errors, warnings, lateErrors, lateWarnings } = this.lists;
      const list = rule.severity === 'error' ? (late ? lateErrors : errors) : late ? lateWarnings : warnings;
      list.push({ p, order, seq: this.seq++ });
    }
    if (this.opts.bail && rule.severity === 'error') {
      this.stopped = true;
      return STOP;
    }
    return undefined;
  }

  /** After the last file: the repeats a spilled index found only at the end. */
  async finish(): Promise<void> {
    if (this.dupes.spilled && !this.stopped) await this.reportLateRepeats();
    this.finished = true;
  }

  /**
   * Repeats the spilled index found only at the end (in arrival order): each file that has
   * some is read again up to its last one (stdin: its copy), to give the problem its id and
   * exact position.
   */
  private async reportLateRepeats(): Promise<void> {
    const repeats = this.dupes.deferred()[Symbol.iterator]();
    try {
      let next = repeats.next();
      if (next.done) return;
      await loadLocator();
      while (!next.done && !this.stopped) {
        const fileIndex = next.value.fileIndex;
        /** Reports the repeat if record `o` is the next one; STOP once the file has no more. */
        const onRecord = (r: RecordInfo, o: number): Verdict => {
          const repeat = next.value as DeferredRepeat;
          next = repeats.next();
          const id = (r.value as { externalRequestId?: unknown } | null)?.externalRequestId;
          // The file changed since it was read (its record is no longer the one indexed): skip it.
          if (typeof id === 'string') {
            const f = duplicateFinding(id, this.firstAt(repeat.firstFileIndex, repeat.firstLine, fileIndex));
            if (this.report(fileIndex, o, f, r.pointer, r, true) === STOP) return STOP;
          }
          return next.done || next.value.fileIndex !== fileIndex ? STOP : undefined;
        };
        const copy = this.stdinCopies.get(fileIndex);
        if (copy) {
          for (const c of copy.records()) {
            if (next.value.ordinal === c.ordinal && onRecord(c.record(c.ordinal - this.firstOrdinal[fileIndex]!), c.ordinal) === STOP) break;
          }
        } else {
          let ordinal = this.firstOrdinal[fileIndex]!;
          await readSource(this.sources[fileIndex]!, this.files[fileIndex]!.format as SourceFormat, {
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
    } finally {
      repeats.return(undefined); // stopped early (--bail): its temp file goes now
    }
  }

  /** Temp files of the index and stdin's copies; the problems' too, unless the run finished (its report is written from them). */
  close(): void {
    this.dupes.close();
    for (const copy of this.stdinCopies.values()) copy.close();
    if (!this.finished) for (const list of Object.values(this.lists)) list.close();
  }

  /** The result, after finish(): its problems are read back from temp files as the report is written. */
  result(): StreamedValidateResult {
    const problems = new ProblemList(this.lists, this.maxProblems);
    let byRule = this.byRule;
    if (this.lateCounted) {
      // byRule lists rules in the order first met; a rule first met at the end goes where its
      // first problem is, as it would have been met on the way.
      const place = (id: string) => this.firstCounted.get(id)!;
      const ids = Object.keys(byRule).sort((a, b) => place(a)[0] - place(b)[0] || place(a)[1] - place(b)[1]);
      byRule = Object.fromEntries(ids.map((id) => [id, this.byRule[id]!]));
    }
    const counts = this.counts;
    const quietWarnings = this.quiet ? counts.warnings : 0;
    const omittedErrors = counts.errors - problems.errorsShown;
    const omitted = counts.errors + counts.warnings - quietWarnings - problems.length;
    return {
      files: this.files,
      problems,
      counts,
      omitted,
      omittedErrors,
      quietWarnings,
      warningsSkipped: this.skipWarnings,
      bailed: this.stopped,
      byRule,
      close: () => problems.close(),
    };
  }
}

/** A row's record, with the locator loaded when a position is to be found in it: at once when it is at hand and the locator ready. */
function recordOf(row: CheckedRecord, locate: boolean): RecordInfo | Promise<RecordInfo> {
  const r = row.record();
  if (!(r instanceof Promise) && (!locate || locatorReady())) return r;
  return (async () => {
    const held = await r;
    if (locate) await loadLocator();
    return held;
  })();
}
