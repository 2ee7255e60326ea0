/**
 * One batch of a large JSONL file checked off the main thread (docs/validate.md "Speed on a
 * large JSONL file"): the bytes of whole lines in; back, per line, what the main thread
 * needs to count, order and report its problems without parsing anything again — a compact
 * row per record or read fault, the findings (located here, while the report can still
 * print them), and each id's hash and content fingerprint for the duplicate index, which
 * needs every earlier record and so stays on the main thread (validate.ts). Numbers travel
 * in typed arrays and each distinct string once: a file with a warning on every line sends
 * hundreds of thousands of findings.
 *
 * Every line is read and linted by the same code as on the main thread (jsonlLineReader,
 * lintPayload), so a line's findings and their wording are the same.
 */
import { Catalog, type CatalogEntry } from '../contract/catalog.js';
import { lintPayload, type Finding, type LintContext } from '../contract/lint.js';
import { RulePolicy, type RuleSettings } from '../contract/rule-settings.js';
import type { LinesJob } from '../read/batches.js';
import { MAX_LINE_BYTES, splitLines } from '../read/lines.js';
import { Locator, loadLocator, locatorReady } from '../read/locate.js';
import { jsonlLineReader, type FaultInfo, type RecordInfo } from '../read/records.js';
import { contentFingerprint, hashId } from './duplicates.js';

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

/** Row kinds. */
export const RECORD = 0;
export const FAULT = 1;

/** Fields of a row in CheckedBatch.rows: a record, or a read fault. */
export const enum Col {
  Kind,
  Line,
  /** 1: the record has a non-empty string externalRequestId, hashed into IdA/IdB. */
  HasId,
  IdA,
  IdB,
  Fingerprint,
  /** The record's findings (the next ones in `findings`); a fault's index in `faults`. */
  Findings,
  Size,
}

/** Fields of a finding in CheckedBatch.findings; strings are indexes into `strings` (-1: none). */
export const enum F {
  Rule,
  Pointer,
  Message,
  Hint,
  /** TARGETS index: where the pointer points, for a position found on the main thread. */
  Target,
  /** 1 when Line, Column, Text and TextColumn hold the finding's position. */
  Located,
  Line,
  Column,
  Text,
  /** NaN: none. */
  TextColumn,
  Size,
}

export const TARGETS = ['value', 'key', 'record'] as const;

export interface CheckedBatch {
  /** The job's buffer, handed back (the main thread reads a line again from it for a repeated id). */
  bytes: ArrayBuffer;
  length: number;
  rows: Float64Array;
  count: number;
  findings: Float64Array;
  findingCount: number;
  /** Rule ids, pointers, messages, hints and line texts: each distinct one once. */
  strings: string[];
  faults: FaultInfo[];
  records: number;
  blankLines: number;
}

/** Numbers that grow by rows of `size`. */
class Table {
  data: Float64Array;
  count = 0;
  constructor(private readonly size: number, rows: number) {
    this.data = new Float64Array(rows * size);
  }
  add(): number {
    if ((this.count + 1) * this.size > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    return this.count++ * this.size;
  }
}

const ID_KEY = new Uint32Array(2);

export class BatchChecker {
  private readonly ctx: LintContext;

  constructor(private readonly setup: CheckSetup) {
    this.ctx = { catalog: new Catalog(setup.catalog.entries, setup.catalog.date, setup.catalog.source), now: setup.now };
    if (setup.rules) this.ctx.rules = new RulePolicy(setup.rules);
    if (setup.errorsOnly) this.ctx.errorsOnly = true;
  }

  async check(job: CheckJob): Promise<CheckedBatch> {
    const rows = new Table(Col.Size, 2048);
    const found = new Table(F.Size, 256);
    const strings: string[] = [];
    const index = new Map<string, number>();
    const str = (s: string | undefined): number => {
      if (s === undefined) return -1;
      let i = index.get(s);
      if (i === undefined) index.set(s, (i = strings.push(s) - 1));
      return i;
    };
    const faults: FaultInfo[] = [];
    let { errorRoom, warningRoom } = job;
    const addFindings = (r: RecordInfo, list: Finding[]): void => {
      // As the record's own locate() finds positions (a JSONL record is its line).
      let locator: Locator | undefined;
      for (const f of list) {
        const o = found.add();
        const d = found.data;
        d[o + F.Rule] = str(f.rule.id);
        d[o + F.Pointer] = str(f.pointer);
        d[o + F.Message] = str(f.message);
        d[o + F.Hint] = str(f.hint);
        d[o + F.Target] = TARGETS.indexOf(f.target);
        const error = f.rule.severity === 'error';
        locator ??= new Locator(r.raw!, r.line);
        // A record nested too deeply for this thread's smaller stack is located by the main thread, as without threads.
        if ((error ? errorRoom-- > 0 : warningRoom-- > 0) && locator.parsable) {
          const pos = locator.locate(f.pointer, f.target);
          d[o + F.Located] = 1;
          d[o + F.Line] = pos.line;
          d[o + F.Column] = pos.column;
          d[o + F.Text] = this.setup.excerpts ? str(pos.text) : -1;
          d[o + F.TextColumn] = this.setup.excerpts && pos.textColumn !== undefined ? pos.textColumn : Number.NaN;
        } else d[o + F.Located] = 0;
      }
    };
    /** A new row of this kind; returns its offset in rows.data. */
    const row = (kind: number, line: number): number => {
      const o = rows.add();
      rows.data.fill(0, o, o + Col.Size);
      rows.data[o + Col.Kind] = kind;
      rows.data[o + Col.Line] = line;
      return o;
    };
    const reader = jsonlLineReader({
      record: (r) => {
        const o = row(RECORD, r.line);
        const d = rows.data;
        const id = (r.value as { externalRequestId?: unknown } | null)?.externalRequestId;
        if (this.setup.duplicates && typeof id === 'string' && id !== '') {
          hashId(id, ID_KEY);
          d[o + Col.HasId] = 1;
          d[o + Col.IdA] = ID_KEY[0]!;
          d[o + Col.IdB] = ID_KEY[1]!;
          d[o + Col.Fingerprint] = contentFingerprint(r.value);
        }
        const list = lintPayload(r.value, this.ctx);
        if (list.length === 0) return;
        d[o + Col.Findings] = list.length;
        // Positions need the (lazily loaded) locator.
        if ((errorRoom > 0 || warningRoom > 0) && !locatorReady()) return loadLocator().then(() => addFindings(r, list));
        addFindings(r, list);
      },
      fault: (f) => {
        const o = row(FAULT, f.line); // (first: it may grow rows.data)
        rows.data[o + Col.Findings] = faults.push(f) - 1;
      },
    });
    const stats = await splitLines([Buffer.from(job.bytes, 0, job.length)], reader.handler, MAX_LINE_BYTES, { linesBefore: job.linesBefore, fileStart: false, batchLines: 8 });
    if (stats.lines - job.linesBefore !== job.lines) {
      throw new Error(`validate batch of ${job.file} from line ${job.linesBefore + 1}: ${stats.lines - job.linesBefore} lines read, ${job.lines} counted`);
    }
    return {
      bytes: job.bytes,
      length: job.length,
      rows: rows.data,
      count: rows.count,
      findings: found.data,
      findingCount: found.count,
      strings,
      faults,
      records: reader.records(),
      blankLines: reader.blankLines(),
    };
  }
}
