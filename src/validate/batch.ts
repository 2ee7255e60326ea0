/**
 * One batch of a large JSONL file checked off the main thread (docs/validate.md "Speed on a
 * large JSONL file"): the bytes of whole lines in; back, the batch's rows (row.ts), packed by
 * row-codec.ts. Each line is read by the same line reader as on the main thread
 * (jsonlLineReader) and each record's row made by the same RecordChecker, so a row is the
 * same whichever thread made it. This is the worker's producer; the duplicate index needs
 * every earlier record and so stays with the applier on the main thread (run.ts).
 *
 * One thing only a thread does: it finds the positions of the findings the report still has
 * room for (CheckJob), while it holds the record. Without it the main thread would read the
 * batch again for every printed problem.
 */
import { Catalog, type CatalogEntry } from '../contract/catalog.js';
import type { LintContext } from '../contract/lint.js';
import { RulePolicy, type RuleSettings } from '../contract/rule-settings.js';
import type { LinesJob } from '../read/batches.js';
import { MAX_LINE_BYTES, splitLines } from '../read/lines.js';
import { Locator, loadLocator, locatorReady } from '../read/locate.js';
import { jsonlLineReader, type RecordInfo } from '../read/records.js';
import { RecordChecker, type RecordRow } from './row.js';
import { RowEncoder, type PackedRows } from './row-codec.js';

/** What a worker needs to check as the main thread would: plain data only (it is copied to the thread). */
export interface CheckSetup {
  catalog: { entries: CatalogEntry[]; date: string; source: string };
  now: number;
  rules?: RuleSettings;
  errorsOnly: boolean;
  /** The duplicate-id rule runs: hash each record's id and fingerprint its content. */
  duplicates: boolean;
  /** Problems keep their line's text (pretty's code frames). */
  excerpts: boolean;
}

/**
 * A batch, and how many more errors and warnings the report could still print when the
 * main thread sent it: locating re-parses a record, which is wasted once the report's cap
 * is reached. The room only shrinks, and the report keeps each severity's problems in file
 * order, so the batch's first `errorRoom` errors and `warningRoom` warnings are the only
 * ones that can need a position (Infinity: no cap).
 */
export interface CheckJob extends LinesJob {
  errorRoom: number;
  warningRoom: number;
}

export interface CheckedBatch {
  /** The job's buffer, handed back (the main thread reads a record again from it for a repeated id). */
  bytes: ArrayBuffer;
  length: number;
  rows: PackedRows;
  records: number;
  blankLines: number;
}

export class BatchChecker {
  private readonly checker: RecordChecker;

  constructor(private readonly setup: CheckSetup) {
    const ctx: LintContext = { catalog: new Catalog(setup.catalog.entries, setup.catalog.date, setup.catalog.source), now: setup.now };
    if (setup.rules) ctx.rules = new RulePolicy(setup.rules);
    if (setup.errorsOnly) ctx.errorsOnly = true;
    this.checker = new RecordChecker(ctx, setup.duplicates);
  }

  async check(job: CheckJob): Promise<CheckedBatch> {
    const out = new RowEncoder();
    let { errorRoom, warningRoom } = job;
    /** Finds the positions the report has room for, as the record's own locate() would (a JSONL record is its line). */
    const locate = (r: RecordInfo, row: RecordRow): void => {
      const locator = new Locator(r.raw!, r.line);
      const findings = row.findings;
      for (let k = 0; k < findings.length; k++) {
        const f = findings[k]!;
        // A record nested too deeply for this thread's smaller stack is located by the main thread, as without threads.
        if ((f.rule.severity === 'error' ? errorRoom-- > 0 : warningRoom-- > 0) && locator.parsable) {
          const at = locator.locate(f.pointer, f.target);
          // Without excerpts, the main thread would drop the line's text: it is not sent. (A new
          // finding, not lint's with a field added: that would multiply the shapes the encoder reads.)
          findings[k] = {
            rule: f.rule,
            pointer: f.pointer,
            message: f.message,
            hint: f.hint,
            target: f.target,
            at: this.setup.excerpts ? at : { line: at.line, column: at.column },
          };
        }
      }
      out.add(row);
    };
    const reader = jsonlLineReader({
      record: (r) => {
        const row = this.checker.row(r);
        if (row.findings.length === 0) return out.add(row);
        // Positions need the (lazily loaded) locator.
        if ((errorRoom > 0 || warningRoom > 0) && !locatorReady()) return loadLocator().then(() => locate(r, row));
        locate(r, row);
      },
      fault: (fault) => out.add({ kind: 'fault', fault }),
    });
    const stats = await splitLines([Buffer.from(job.bytes, 0, job.length)], reader.handler, MAX_LINE_BYTES, {
      linesBefore: job.linesBefore,
      fileStart: false,
      batchLines: 8,
    });
    if (stats.lines - job.linesBefore !== job.lines) {
      throw new Error(`validate batch of ${job.file} from line ${job.linesBefore + 1}: ${stats.lines - job.linesBefore} lines read, ${job.lines} counted`);
    }
    return { bytes: job.bytes, length: job.length, rows: out.finish(), records: reader.records(), blankLines: reader.blankLines() };
  }
}
