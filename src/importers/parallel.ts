/**
 * The import's worker threads for a large JSONL file (docs/import.md "Worker threads for
 * large JSONL files"): a line pool (read/line-pool.ts) whose threads run worker.ts, each
 * making a batch's rows (batch.ts), and the main thread's side of it — each batch's rows
 * decoded (row-codec.ts) and applied in file order by the run's applier (apply.ts), the
 * buffers then handed back to be filled again, so memory stays flat.
 *
 * Loaded only when an import has such a file: a small import starts no thread.
 */
import { batchRecords, fileBytes, type LinesJob, type LongLine } from '../read/batches.js';
import { LinePool, inPool } from '../read/line-pool.js';
import { lineIssueFault, type Source } from '../read/records.js';
import type { ImportApplier, MakeAgain } from './apply.js';
import type { BatchJob, BatchResult, BatchSetup } from './batch.js';
import { ImportStop, type SourceRead } from './read-source.js';
import { BatchIds } from './readers/batch-id.js';
import type { RecordRows } from './record-rows.js';
import { RowDecoder, rowBuffers, type RowBuffers } from './row-codec.js';
import { faultReason, type RowMaker } from './row.js';
import type { Adapter, AdapterContext, Converter, Draft, SourceRecord } from './types.js';

export class WorkerPool extends LinePool<BatchJob, BatchResult> {
  constructor(setup: BatchSetup, count: number) {
    // Buffers of applied results, filled again by the next batches: memory stays flat.
    const spares: RowBuffers[] = [];
    super({
      command: 'import',
      worker: new URL('./worker.js', import.meta.url),
      setup,
      threads: count,
      attach(job) {
        const spare = spares.pop();
        if (!spare) return [];
        job.spare = spare;
        return [spare.numbers, spare.payloads];
      },
      release: (r) => void spares.push(rowBuffers(r.rows)),
    });
  }
}

/** What the main thread's side works with: the run's producer and applier (for the rare line it handles itself). */
export interface ThreadsContext {
  adapter: Adapter;
  ctx: AdapterContext;
  maker: RowMaker;
  records: RecordRows;
  applier: ImportApplier;
}

/** One file read in the threads, as its batches come back. */
interface FileInThreads {
  name: string;
  fileIndex: number;
  /** A plain file's size (undefined for a stream): its first batch tells how many ids it holds. */
  size: number | undefined;
  hadRecord: boolean;
  blankLines: number;
}

/** The run's threads, started for its first large JSONL file and used for every other. */
export class ImportThreads {
  private pool: WorkerPool | undefined;
  /** A converter of this thread for the rare row whose draft is needed again (MakeAgain). */
  private redrafter: Converter | undefined;

  constructor(
    private readonly setup: BatchSetup,
    private readonly threads: number,
    private readonly run: ThreadsContext,
  ) {}

  /**
   * A large JSONL source converted in the threads: from `chunks` (stdin, a pipe or a gzip
   * file's content, read ahead), or, undefined, read again from its path straight into the
   * batches' buffers (a plain file).
   */
  async read(source: Source, chunks: AsyncIterable<Buffer> | undefined, size: number | undefined, fileIndex: number): Promise<SourceRead> {
    const pool = (this.pool ??= new WorkerPool(this.setup, this.threads));
    const file: FileInThreads = { name: source.name, fileIndex, size, hadRecord: false, blankLines: 0 };
    const apply = (item: LongLine | { job: BatchJob; result: BatchResult }) =>
      'longLine' in item ? this.longLine(source.name, item.longLine) : this.applyBatch(item.job, item.result, file);
    const work = (input: Parameters<typeof inPool>[1]) => inPool(pool, input, source.name, (job: LinesJob): BatchJob => job, apply);
    if (chunks) return { lines: (await work(withoutBom(chunks))).lines, blankLines: file.blankLines };
    const bytes = await fileBytes(source.path);
    try {
      return { lines: (await work(bytes)).lines, blankLines: file.blankLines };
    } finally {
      await bytes.close();
    }
  }

  async close(): Promise<void> {
    await this.pool?.close();
  }

  /** A line too long for any batch: rejected as the line reader would. */
  private longLine(file: string, line: number): void {
    this.run.records.settle(undefined, file, line, undefined, { kind: 'reject', reason: faultReason(lineIssueFault('too-long', line)) });
  }

  /** A batch's rows, applied in file order as the rows of this thread are. */
  private async applyBatch(job: BatchJob, result: BatchResult, file: FileInThreads): Promise<void> {
    const { applier } = this.run;
    const rows = new RowDecoder(result.rows, file.name);
    // A file's first batch tells how many ids the whole file will hold, about: room for them at once.
    if (job.linesBefore === 0 && file.size !== undefined && job.length > 0) applier.expectIds(Math.ceil((rows.count * file.size) / job.length));
    // The file's first record refuses an aggregate export, after the rows before it (as read-source.ts does).
    const stop = !file.hadRecord && result.firstAggregate !== undefined ? result.firstRecordRow : -1;
    if (result.records > 0) file.hadRecord = true;
    const count = stop === -1 ? rows.count : stop;
    const again = this.again(result, file.name, job.linesBefore);
    for (let i = 0; i < count; i++) {
      applier.countRead();
      const drafting = applier.apply(rows.row(i), again);
      if (drafting) await drafting;
    }
    applier.writePending();
    // A plain file the batches read themselves: how far they are (a stream's reader counts its own bytes).
    if (file.size !== undefined) applier.countBatchBytes(job.length);
    file.blankLines += result.blankLines;
    if (result.batchIds) this.run.ctx.batchIds?.addCounts(result.batchIds);
    if (stop !== -1) throw new ImportStop(result.firstAggregate!);
    await applier.afterBatch(file.fileIndex);
  }

  /**
   * A batch's row's record and draft, made again on this thread from the bytes the thread
   * handed back: for the rare row whose id another request already had (apply.ts).
   */
  private again(result: BatchResult, file: string, linesBefore: number): MakeAgain {
    let records: Promise<Map<number, SourceRecord>> | undefined;
    return async (row) => {
      records ??= recordsOf(result, file, linesBefore);
      const record = (await records).get(row.line)!;
      const parts = this.run.adapter.unpack?.(record.value);
      if (!parts) return { record, draft: this.redraft(record) };
      // A container line (Adapter.unpack): the part whose payload has this row's id.
      for (const part of parts) {
        const partRecord: SourceRecord = { value: part.value, file, line: row.line };
        const draft = this.redraft(partRecord, true);
        if (draft === undefined) continue;
        const made = this.run.maker.payload(partRecord, draft);
        if (made.kind === 'payload' && made.idA === row.idA && made.idB === row.idB) return { record: partRecord, draft };
      }
      throw new Error(`adapter ${this.run.adapter.id}: no part of line ${row.line} of ${file} converts to the payload a thread made of it`);
    };
  }

  /**
   * A record's draft again, by a converter with its own batch-id counts, so that its line is not
   * counted twice in the notes. Undefined (with `mayNotBePayload`) when it is no payload.
   */
  private redraft(record: SourceRecord): Draft;
  private redraft(record: SourceRecord, mayNotBePayload: true): Draft | undefined;
  private redraft(record: SourceRecord, mayNotBePayload?: true): Draft | undefined {
    const { adapter, ctx, maker } = this.run;
    const b = ctx.batchIds;
    this.redrafter ??= adapter.create({ ...ctx, batchIds: b && new BatchIds(b.format, b.flag) });
    const outcome = this.redrafter.push(record)[0]?.outcome;
    if (outcome?.kind !== 'payload') {
      if (mayNotBePayload) return undefined;
      throw new Error(`adapter ${adapter.id} converted line ${record.line} of ${record.file} differently the second time`);
    }
    return maker.draft(outcome.draft);
  }
}

async function recordsOf(result: BatchResult, file: string, linesBefore: number): Promise<Map<number, SourceRecord>> {
  const byLine = new Map<number, SourceRecord>();
  for (const [line, r] of await batchRecords(result.bytes, result.length, linesBefore)) byLine.set(line, { value: r.value, file, line, raw: r.raw });
  return byLine;
}

/** The chunks without a UTF-8 byte order mark at the start (the line splitter drops it too). */
async function* withoutBom(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let first = true;
  for await (const c of chunks) {
    // The first chunk is the source's head: it has the first three bytes unless the input is shorter.
    if (first && c[0] === 0xef && c[1] === 0xbb && c[2] === 0xbf) yield c.subarray(3);
    else yield c;
    first = false;
  }
}
