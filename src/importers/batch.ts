/**
 * One batch of a large JSONL file converted off the main thread (docs/import.md
 * "Performance"): the bytes of whole lines in, and back one string of payload lines plus a
 * compact row per record — what the main thread needs to keep the order, the duplicate-id
 * index, the tally and the cost ledger without parsing anything again. It runs in the worker
 * threads (worker.ts); the main thread's side is parallel.ts and run.ts.
 *
 * Every line is read, converted, finished and linted by the same code as on the main thread
 * (jsonlLineReader, rows.ts, finishDraft), so a row's outcome and wording are the same.
 */
import { Catalog, type CatalogEntry } from '../contract/catalog.js';
import { parseZonedDateTime } from '../contract/fields.js';
import { fnv1a } from '../contract/random.js';
import { RulePolicy, type RuleSettings } from '../contract/rule-settings.js';
import { batchRecords, type LinesJob } from '../read/batches.js';
import { MAX_LINE_BYTES, splitLines } from '../read/lines.js';
import { jsonlLineReader, type RecordSink } from '../read/records.js';
import { hashId } from '../validate/duplicates.js';
import { appliedMask, type Defaults, type Finished, type FinishOptions } from './finish.js';
import { payloadFigures, type PayloadFigures } from './import-summary.js';
import { BatchIds, type BatchFormat, type BatchIdCounts } from './readers/batch-id.js';
import { conversionFailure, duplicateKeyReason, faultReason, finishSafely, rejectLine } from './rows.js';
import { aggregateByRecord, aggregateMessage } from './sniff.js';
import type { Adapter, AdapterContext, Converter, FormatId, Result, SourceRecord } from './types.js';

/** What a worker needs to convert as the main thread would: plain data only (it is copied to the thread). */
export interface BatchSetup {
  adapter: FormatId;
  map: Record<string, string>;
  model?: string;
  batchIds?: { format: BatchFormat; flag?: string };
  catalog: { entries: CatalogEntry[]; date: string; source: string };
  defaults: Defaults;
  hashSalt?: string;
  provider?: string;
  now: number;
  rules?: RuleSettings;
  /** A rejects file is written: make each rejected row's line. */
  rejects: boolean;
  /**
   * The run reads several formats (run-state.ts): each payload row also carries its draft's
   * source id and token counts, which the main thread checks for a copy another format wrote.
   */
  crossFormat?: boolean;
}

/** Lines of one file (read/batches.ts), and buffers to fill. */
export interface BatchJob extends LinesJob {
  /** Buffers of an earlier result, handed back to be filled again (memory stays flat). */
  spare?: { payloads: ArrayBuffer; rows: ArrayBuffer };
}

/** Row kinds. */
export const PAYLOAD = 0;
export const SKIP = 1;
export const REJECT = 2;

/**
 * Fields of a row in BatchResult.rows (numbers; strings are indexes into `strings`, -1 for
 * none; createdAt is epoch ms, NaN for none). A skip's or reject's reason is at PROVIDER, a
 * reject's rejects-file line at MODEL.
 */
export const enum Field {
  Kind,
  Line,
  /** Length in bytes of the payload's line in `payloads`. */
  TextLength,
  IdA,
  IdB,
  /** fnv1a of the draft's requestKey (0 without one, see HasKey). */
  Key,
  HasKey,
  Known,
  Applied,
  Input,
  Output,
  CacheRead,
  CacheWrite,
  Reasoning,
  Provider,
  Model,
  LoggedModel,
  CreatedAt,
  PartialReason,
  /** With BatchSetup.crossFormat: the draft's sourceId, and its input and output tokens (NaN for none). */
  SourceId,
  DraftInput,
  DraftOutput,
  Size,
}

export const REASON = Field.Provider;
export const REJECT_LINE = Field.Model;

export interface BatchResult {
  /** The job's buffer, handed back (the main thread re-reads a line from it in the rare case it must). */
  bytes: ArrayBuffer;
  length: number;
  rows: Float64Array;
  count: number;
  strings: string[];
  /** The payload lines of the PAYLOAD rows, in order, as UTF-8: `payloads[0, payloadBytes)`. */
  payloads: ArrayBuffer;
  payloadBytes: number;
  blankLines: number;
  /** Records the reader produced (a file's first record is checked for an aggregate export). */
  records: number;
  /** Row of the batch's first record, and the refusal when it looks like an aggregate export. */
  firstRecordRow: number;
  firstAggregate?: string;
  batchIds?: BatchIdCounts;
}

/** The rows of one batch as they are made. */
class Rows {
  rows: Float64Array;
  count = 0;
  strings: string[] = [];
  private readonly index = new Map<string, number>();
  /** Encoded here, off the main thread, into one buffer that is transferred, not copied. */
  payloads: Buffer;
  payloadBytes = 0;

  constructor(spare: BatchJob['spare']) {
    this.rows = spare ? new Float64Array(spare.rows) : new Float64Array(2048 * Field.Size);
    this.payloads = spare ? Buffer.from(spare.payloads) : Buffer.allocUnsafeSlow(1024 * 1024);
  }

  /**
   * Appends a payload's JSON and a line end; returns the line's length in bytes. The line
   * end is written as a byte: `json + '\n'` would make a second copy of every payload.
   */
  addPayload(json: string): number {
    // A UTF-16 unit takes at most 3 UTF-8 bytes.
    const most = json.length * 3 + 1;
    if (this.payloadBytes + most > this.payloads.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.payloads.length * 2, this.payloadBytes + most));
      this.payloads.copy(grown, 0, 0, this.payloadBytes);
      this.payloads = grown;
    }
    const n = this.payloads.write(json, this.payloadBytes) + 1;
    this.payloads[this.payloadBytes + n - 1] = 10;
    this.payloadBytes += n;
    return n;
  }

  add(kind: number, line: number): number {
    if ((this.count + 1) * Field.Size > this.rows.length) {
      const grown = new Float64Array(this.rows.length * 2);
      grown.set(this.rows);
      this.rows = grown;
    }
    const o = this.count++ * Field.Size;
    this.rows.fill(-1, o, o + Field.Size);
    this.rows[o + Field.Kind] = kind;
    this.rows[o + Field.Line] = line;
    return o;
  }

  /** A string few rows differ in (provider, model, reasons): stored once. */
  shared(s: string | undefined): number {
    if (s === undefined) return -1;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.push(s) - 1;
      this.index.set(s, i);
    }
    return i;
  }

  own(s: string | undefined): number {
    return s === undefined ? -1 : this.strings.push(s) - 1;
  }
}

const FIGURES: PayloadFigures = { partialReason: undefined, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0, loggedModel: undefined };
const ID_KEY = new Uint32Array(2);

export class BatchConverter {
  private readonly converter: Converter;
  private readonly batchIds: BatchIds | undefined;
  private readonly finishOpts: FinishOptions;

  constructor(
    private readonly adapter: Adapter,
    private readonly setup: BatchSetup,
  ) {
    this.batchIds = setup.batchIds && new BatchIds(setup.batchIds.format, setup.batchIds.flag);
    const ctx: AdapterContext = { map: setup.map, batchIds: this.batchIds, model: setup.model };
    this.converter = adapter.create(ctx);
    if (this.converter.notes) throw new Error(`adapter ${adapter.id} is declared independent but its converter keeps notes`);
    const catalog = new Catalog(setup.catalog.entries, setup.catalog.date, setup.catalog.source);
    this.finishOpts = { format: adapter.id, catalog, defaults: setup.defaults, hashSalt: setup.hashSalt, now: setup.now, rules: setup.rules && new RulePolicy(setup.rules) };
  }

  async convert(job: BatchJob): Promise<BatchResult> {
    const out = new Rows(job.spare);
    const { file } = job;
    let firstRecordRow = -1;
    let firstAggregate: string | undefined;
    let duplicateKeyRecord = -1;
    let duplicateKeyMessage = '';
    const reject = (record: SourceRecord, reason: string) => {
      const o = out.add(REJECT, record.line);
      out.rows[o + REASON] = out.shared(reason);
      if (this.setup.rejects) out.rows[o + REJECT_LINE] = out.own(rejectLine(record, reason, this.setup.hashSalt));
    };
    // As run.ts reads a JSON source, for the records of one batch.
    const sink: RecordSink = {
      record: (r) => {
        if (firstRecordRow === -1) {
          firstRecordRow = out.count;
          const agg = aggregateByRecord(r.value);
          if (agg) firstAggregate = aggregateMessage(file, agg);
        }
        const record: SourceRecord = { value: r.value, file, line: r.line, raw: r.raw };
        if (r.index === duplicateKeyRecord) reject(record, duplicateKeyMessage);
        else this.push(record, out, reject);
      },
      fault: (f) => {
        if (f.fault === 'duplicate-key') {
          duplicateKeyRecord = f.recordIndex ?? -1;
          duplicateKeyMessage = duplicateKeyReason(f);
          return;
        }
        reject({ value: undefined, file, line: f.line, raw: f.text }, faultReason(f));
      },
    };
    const reader = jsonlLineReader(sink);
    const bytes = Buffer.from(job.bytes, 0, job.length);
    // Few lines parsed ahead: each parsed line still held when a collection comes is copied by it,
    // and a thread's young generation is small (parallel.ts), so collections come often (8 lines
    // instead of 64: ~25 % less time in them, measured with --trace-gc).
    const stats = await splitLines([bytes], reader.handler, MAX_LINE_BYTES, { linesBefore: job.linesBefore, fileStart: false, batchLines: 8 });
    if (stats.lines - job.linesBefore !== job.lines) {
      throw new Error(`import batch of ${file} from line ${job.linesBefore + 1}: ${stats.lines - job.linesBefore} lines read, ${job.lines} counted`);
    }
    const result: BatchResult = {
      bytes: job.bytes,
      length: job.length,
      rows: out.rows,
      count: out.count,
      strings: out.strings,
      payloads: out.payloads.buffer as ArrayBuffer,
      payloadBytes: out.payloadBytes,
      blankLines: reader.blankLines(),
      records: reader.records(),
      firstRecordRow,
      firstAggregate,
    };
    if (this.batchIds) result.batchIds = this.batchIds.takeCounts();
    return result;
  }

  /** As run.ts's push and handle, up to (not including) the duplicate-id check, which needs every earlier row. */
  private push(record: SourceRecord, out: Rows, reject: (record: SourceRecord, reason: string) => void): void {
    let results: Result[];
    try {
      results = this.converter.push(record);
    } catch (e) {
      reject(record, conversionFailure(this.adapter.id, e));
      return;
    }
    if (results.length !== 1 || results[0]!.record !== record) {
      throw new Error(`adapter ${this.adapter.id} is declared independent but did not return exactly its record's result`);
    }
    const { outcome } = results[0]!;
    switch (outcome.kind) {
      case 'payload': {
        const draft = this.setup.provider === undefined ? outcome.draft : { ...outcome.draft, provider: this.setup.provider };
        const fin = finishSafely(draft, this.finishOpts);
        if (fin.ok) {
          const o = addPayload(out, fin, draft.requestKey, record.line);
          if (this.setup.crossFormat) {
            out.rows[o + Field.SourceId] = out.own(draft.sourceId);
            out.rows[o + Field.DraftInput] = draft.inputTokens ?? Number.NaN;
            out.rows[o + Field.DraftOutput] = draft.outputTokens ?? Number.NaN;
          }
        }
        else reject(record, fin.reason);
        break;
      }
      case 'skip': {
        const o = out.add(SKIP, record.line);
        out.rows[o + REASON] = out.shared(outcome.reason);
        break;
      }
      case 'reject':
        reject(record, outcome.reason);
        break;
      default:
        reject(record, `adapter returned an unknown outcome ${JSON.stringify((outcome as { kind?: unknown }).kind)}`);
    }
  }
}

/** A finished payload's line and row: what the main thread needs to check its id and count it. Returns the row's offset. */
function addPayload(out: Rows, fin: Extract<Finished, { ok: true }>, requestKey: string | undefined, line: number): number {
  const p = fin.payload;
  const length = out.addPayload(JSON.stringify(p));
  const o = out.add(PAYLOAD, line);
  const rows = out.rows;
  rows[o + Field.TextLength] = length;
  hashId(p.externalRequestId!, ID_KEY);
  rows[o + Field.IdA] = ID_KEY[0]!;
  rows[o + Field.IdB] = ID_KEY[1]!;
  rows[o + Field.Key] = requestKey === undefined ? 0 : fnv1a(requestKey);
  rows[o + Field.HasKey] = requestKey === undefined ? 0 : 1;
  rows[o + Field.Known] = fin.known ? 1 : 0;
  rows[o + Field.Applied] = appliedMask(fin.applied);
  const f = payloadFigures(p, FIGURES);
  rows[o + Field.Input] = f.input;
  rows[o + Field.Output] = f.output;
  rows[o + Field.CacheRead] = f.cacheRead;
  rows[o + Field.CacheWrite] = f.cacheWrite;
  rows[o + Field.Reasoning] = f.reasoning;
  rows[o + Field.Provider] = out.shared(p.provider);
  rows[o + Field.Model] = out.shared(p.model);
  rows[o + Field.LoggedModel] = out.shared(f.loggedModel);
  // As epoch ms: a number per row instead of a string for the main thread to take apart (CostLedger.add).
  rows[o + Field.CreatedAt] = p.createdAt === undefined ? Number.NaN : parseZonedDateTime(p.createdAt);
  rows[o + Field.PartialReason] = out.shared(f.partialReason);
  return o;
}

/**
 * The records of a batch by line, read again on the main thread: the rare row whose id was
 * already written by another request needs its draft again (run.ts, "scoped" ids).
 */
export async function recordsOf(result: BatchResult, file: string, linesBefore: number): Promise<Map<number, SourceRecord>> {
  const byLine = new Map<number, SourceRecord>();
  for (const [line, r] of await batchRecords(result.bytes, result.length, linesBefore)) byLine.set(line, { value: r.value, file, line, raw: r.raw });
  return byLine;
}
