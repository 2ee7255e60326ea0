/**
 * The worker threads' producer of import rows (docs/import.md "Worker threads for large
 * JSONL files"): one batch of a large JSONL file's whole lines in, its rows out, packed by
 * the row codec (row-codec.ts) into buffers that are transferred back. Every line is read,
 * converted and made a row by the same code as on the main thread (jsonlLineReader,
 * jsonRecordSink, RowMaker), so a row's content and wording are the same. It runs in the
 * worker threads (worker.ts); the main thread's side is parallel.ts.
 */
import { Catalog, type CatalogEntry } from '../contract/catalog.js';
import { RulePolicy, type RuleSettings } from '../contract/rule-settings.js';
import type { LinesJob } from '../read/batches.js';
import { MAX_LINE_BYTES, splitLines } from '../read/lines.js';
import { jsonlLineReader } from '../read/records.js';
import type { Defaults } from './finish.js';
import { BatchIds, type BatchFormat, type BatchIdCounts } from './readers/batch-id.js';
import { type EncodedRows, RowEncoder, type RowBuffers } from './row-codec.js';
import { conversionFailure, jsonRecordSink, RowMaker, type ImportRow } from './row.js';
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
  /** --since / --until (FinishOptions.window). */
  window?: { since: number | undefined; until: number | undefined };
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
  spare?: RowBuffers;
}

export interface BatchResult {
  /** The job's buffer, handed back (the main thread re-reads a line from it in the rare case it must). */
  bytes: ArrayBuffer;
  length: number;
  rows: EncodedRows;
  blankLines: number;
  /** Lines the reader made records of (a file's first record is checked for an aggregate export). */
  records: number;
  /** Row of the batch's first record, and the refusal when it looks like an aggregate export. */
  firstRecordRow: number;
  firstAggregate?: string;
  batchIds?: BatchIdCounts;
}

export class BatchConverter {
  private readonly converter: Converter;
  private readonly batchIds: BatchIds | undefined;
  private readonly maker: RowMaker;

  constructor(
    private readonly adapter: Adapter,
    setup: BatchSetup,
  ) {
    this.batchIds = setup.batchIds && new BatchIds(setup.batchIds.format, setup.batchIds.flag);
    const ctx: AdapterContext = { map: setup.map, batchIds: this.batchIds, model: setup.model };
    this.converter = adapter.create(ctx);
    if (this.converter.notes) throw new Error(`adapter ${adapter.id} is declared independent but its converter keeps notes`);
    const catalog = new Catalog(setup.catalog.entries, setup.catalog.date, setup.catalog.source);
    this.maker = new RowMaker({
      finish: { format: adapter.id, catalog, defaults: setup.defaults, hashSalt: setup.hashSalt, now: setup.now, rules: setup.rules && new RulePolicy(setup.rules), window: setup.window },
      provider: setup.provider,
      rejects: setup.rejects,
      crossFormat: setup.crossFormat === true,
    });
  }

  async convert(job: BatchJob): Promise<BatchResult> {
    const out = new RowEncoder(job.spare);
    const { file } = job;
    let firstRecordRow = -1;
    let firstAggregate: string | undefined;
    // As the main thread reads a JSON source (read-source.ts), for the records of one batch.
    const sink = jsonRecordSink(file, {
      first: (r) => {
        firstRecordRow = out.count;
        const agg = aggregateByRecord(r.value);
        if (agg) firstAggregate = aggregateMessage(file, agg);
      },
      record: (r, duplicateKey) => {
        const record: SourceRecord = { value: r.value, file, line: r.line, raw: r.raw };
        if (duplicateKey !== undefined) {
          out.add(this.maker.reject(record, duplicateKey));
          return;
        }
        // A container line (Adapter.unpack): each part a record of its own, at the line (as read-source.ts reads it).
        const parts = this.adapter.unpack?.(r.value);
        if (parts) for (const part of parts) out.add(this.row({ value: part.value, file, line: r.line, raw: undefined }));
        else out.add(this.row(record));
      },
      fault: (record, reason) => out.add(this.maker.reject(record, reason)),
    });
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
      rows: out.finish(),
      blankLines: reader.blankLines(),
      records: reader.records(),
      firstRecordRow,
      firstAggregate,
    };
    if (this.batchIds) result.batchIds = this.batchIds.takeCounts();
    return result;
  }

  /** As the main thread's producer (record-rows.ts) makes a record's row; the duplicate-id check, which needs every earlier row, is the main thread's. */
  private row(record: SourceRecord): ImportRow {
    let results: Result[];
    try {
      results = this.converter.push(record);
    } catch (e) {
      return this.maker.reject(record, conversionFailure(this.adapter.id, e));
    }
    if (results.length !== 1 || results[0]!.record !== record) {
      throw new Error(`adapter ${this.adapter.id} is declared independent but did not return exactly its record's result`);
    }
    return this.maker.outcome(record, results[0]!.outcome);
  }
}
