/**
 * One batch of a large JSONL file checked off the main thread (docs/validate.md "Speed on a
 * large JSONL file"): the bytes of whole lines in; back, per line, what the main thread
 * needs to count, order and report its problems without parsing anything again — a compact
 * row per record or read fault, the findings of the records that have any (with the line's
 * text, for positions), and each id's hash and content fingerprint for the duplicate index,
 * which needs every earlier record and so stays on the main thread (validate.ts).
 *
 * Every line is read and linted by the same code as on the main thread (jsonlLineReader,
 * lintPayload), so a line's findings and their wording are the same.
 */
import { Catalog, type CatalogEntry } from '../contract/catalog.js';
import { lintPayload, type LintContext } from '../contract/lint.js';
import { RulePolicy, type RuleSettings } from '../contract/rule-settings.js';
import type { LinesJob } from '../read/batches.js';
import { MAX_LINE_BYTES, splitLines } from '../read/lines.js';
import { jsonlLineReader, type FaultInfo } from '../read/records.js';
import { contentFingerprint, hashId } from './duplicates.js';

/** What a worker needs to check as the main thread would: plain data only (it is copied to the thread). */
export interface CheckSetup {
  catalog: { entries: CatalogEntry[]; date: string; source: string };
  now: number;
  rules?: RuleSettings;
  errorsOnly: boolean;
  /** The duplicate-id rule runs: hash each record's id and fingerprint its content. */
  duplicates: boolean;
}

/** A finding as it crosses to the main thread: the rule by id (the main thread applies the settings again, which changes nothing). */
export interface WireFinding {
  rule: string;
  pointer: string;
  message: string;
  hint?: string;
  target: 'value' | 'key' | 'record';
}

/** Row kinds. */
export const RECORD = 0;
export const FAULT = 1;

/** Fields of a row in CheckedBatch.rows. */
export const enum Col {
  Kind,
  Line,
  /** 1: the record has a non-empty string externalRequestId, hashed into IdA/IdB. */
  HasId,
  IdA,
  IdB,
  Fingerprint,
  /** Findings of this record (the next ones in `findings`); a fault's index in `faults`. */
  Findings,
  /** Index in `texts` of the record's line (-1: no findings, not sent). */
  Text,
  Size,
}

export interface CheckedBatch {
  /** The job's buffer, handed back (the main thread reads a line again from it for a repeated id). */
  bytes: ArrayBuffer;
  length: number;
  rows: Float64Array;
  count: number;
  findings: WireFinding[];
  faults: FaultInfo[];
  /** Line texts of the records with findings. */
  texts: string[];
  records: number;
  blankLines: number;
}

const ID_KEY = new Uint32Array(2);

export class BatchChecker {
  private readonly ctx: LintContext;

  constructor(private readonly setup: CheckSetup) {
    this.ctx = { catalog: new Catalog(setup.catalog.entries, setup.catalog.date, setup.catalog.source), now: setup.now };
    if (setup.rules) this.ctx.rules = new RulePolicy(setup.rules);
    if (setup.errorsOnly) this.ctx.errorsOnly = true;
  }

  async check(job: LinesJob): Promise<CheckedBatch> {
    let rows = new Float64Array(2048 * Col.Size);
    let count = 0;
    const findings: WireFinding[] = [];
    const faults: FaultInfo[] = [];
    const texts: string[] = [];
    const add = (kind: number, line: number): number => {
      if ((count + 1) * Col.Size > rows.length) {
        const grown = new Float64Array(rows.length * 2);
        grown.set(rows);
        rows = grown;
      }
      const o = count++ * Col.Size;
      rows.fill(0, o, o + Col.Size);
      rows[o + Col.Kind] = kind;
      rows[o + Col.Line] = line;
      rows[o + Col.Text] = -1;
      return o;
    };
    const reader = jsonlLineReader({
      record: (r) => {
        const o = add(RECORD, r.line);
        const found = lintPayload(r.value, this.ctx);
        if (found.length > 0) {
          rows[o + Col.Findings] = found.length;
          rows[o + Col.Text] = texts.push(r.raw!) - 1;
          for (const f of found) {
            const w: WireFinding = { rule: f.rule.id, pointer: f.pointer, message: f.message, target: f.target };
            if (f.hint !== undefined) w.hint = f.hint;
            findings.push(w);
          }
        }
        const id = (r.value as { externalRequestId?: unknown } | null)?.externalRequestId;
        if (this.setup.duplicates && typeof id === 'string' && id !== '') {
          hashId(id, ID_KEY);
          rows[o + Col.HasId] = 1;
          rows[o + Col.IdA] = ID_KEY[0]!;
          rows[o + Col.IdB] = ID_KEY[1]!;
          rows[o + Col.Fingerprint] = contentFingerprint(r.value);
        }
      },
      fault: (f) => {
        const o = add(FAULT, f.line);
        rows[o + Col.Findings] = faults.push(f) - 1;
      },
    });
    const stats = await splitLines([Buffer.from(job.bytes, 0, job.length)], reader.handler, MAX_LINE_BYTES, { linesBefore: job.linesBefore, fileStart: false, batchLines: 8 });
    if (stats.lines - job.linesBefore !== job.lines) {
      throw new Error(`validate batch of ${job.file} from line ${job.linesBefore + 1}: ${stats.lines - job.linesBefore} lines read, ${job.lines} counted`);
    }
    return { bytes: job.bytes, length: job.length, rows, count, findings, faults, texts, records: reader.records(), blankLines: reader.blankLines() };
  }
}
