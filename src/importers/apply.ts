/**
 * The import's one applier: takes rows (row.ts) in input order, whichever thread made them,
 * and does what needs every earlier row — the duplicate-id check, the tally and cost ledger,
 * the payload and rejects output, the per-file counts and the progress line — so the output
 * is the same with worker threads or without (docs/import.md "The pipeline").
 */
import type { Payload } from '../contract/fields.js';
import type { ImportIdIndex } from './id-index.js';
import type { FileTally, ImportTally } from './import-summary.js';
import type { ImportInterrupt } from './interrupt.js';
import { PAYLOAD_GROUP, writeGroupLines } from './payload-lines.js';
import type { ImportRow, PayloadRow, RejectRow, RowMaker } from './row.js';
import type { RunState } from './run-state.js';
import type { LineOutput } from './sink.js';
import type { Draft, SourceRecord } from './types.js';

/** What the applier asks of the duplicate-id index (hashes only; the ids' keys are made where the rows are). */
export type WrittenIds = Pick<ImportIdIndex, 'addKey' | 'reserve' | 'count'>;

/** A payload row's record and draft, made again (for a row a worker thread made: parallel.ts). */
export type MakeAgain = (row: PayloadRow) => Promise<{ record: SourceRecord; draft: Draft }>;

export interface ApplierOptions {
  tally: ImportTally;
  /**
   * Every externalRequestId written so far (hashes only: bounded memory for millions of rows).
   * A repeat is a copy of a record already counted (Bedrock delivers each invocation to
   * CloudWatch and to S3), unless the two name different requests (the request key), as the
   * OpenAI Batch guide's own example does with one batch_req_… id for two custom_ids. It must
   * answer on the spot: whether a record is a copy must be known before it is written.
   */
  written: WrittenIds;
  /** A run of several formats (run-groups.ts): a copy is also told by the provider request id another format wrote. */
  run: RunState | undefined;
  output: LineOutput;
  rejects: LineOutput | undefined;
  /** Finishes a row's draft again under a scoped id. */
  maker: RowMaker;
  onProgress: ((p: ImportProgress) => void) | undefined;
  /** Sources in the run (for the progress line). */
  files: number;
  /** How often the progress line is drawn at most. */
  progressEveryMs: number;
  /** A stop requested between rows (a signal): checked after each record or batch. */
  interrupt?: ImportInterrupt;
}

/** How far an import is, for the CLI's progress line. */
export interface ImportProgress {
  /** Rows read so far, in the whole run. */
  rows: number;
  /** Bytes of the inputs read so far, as stored (gzip: compressed), in the whole run. */
  bytes: number;
  fileIndex: number;
  files: number;
}

export class ImportApplier {
  readonly tally: ImportTally;
  private readonly written: WrittenIds;
  private readonly output: LineOutput;
  private readonly rejects: LineOutput | undefined;
  private readonly fileTallies = new Map<string, FileTally>();
  private readonly writeBytes: (bytes: Buffer) => void;
  private readonly interrupt: ImportInterrupt | undefined;
  /** Rows read before the current file. */
  private readBefore = 0;
  /** The current file's bytes read so far: as its reader counts them, and as batches the threads converted (a plain file they read themselves). */
  private fileBytes: () => number = () => 0;
  private batchBytes = 0;
  private lastProgress = Date.now();
  /**
   * Payload lines a worker thread encoded that are applied and not yet written:
   * `pending[pendingFrom, pendingTo)`. Consecutive lines of a batch are written in one call
   * (one copy per run of lines, not one per line); anything else written first writes them.
   */
  private pending: Buffer | undefined;
  private pendingFrom = 0;
  private pendingTo = 0;
  /**
   * Payloads made on this thread that are applied and not yet written: serialised a group at a
   * time (payload-lines.ts) into `lines`, then written. At most one of `group` and `pending`
   * holds lines: whatever is added to one first writes the other, so the output keeps the rows' order.
   */
  private readonly group: Payload[] = [];
  private lines: Buffer = Buffer.allocUnsafeSlow(64 * 1024);

  constructor(private readonly opts: ApplierOptions) {
    this.tally = opts.tally;
    this.written = opts.written;
    this.output = opts.output;
    this.rejects = opts.rejects;
    const out = opts.output;
    this.writeBytes = out.writeBytes ? (b) => out.writeBytes!(b) : (b) => out.write(b.toString('utf8'));
    this.interrupt = opts.interrupt;
  }

  /** A source's reading starts: its tally joins the run's; `bytesRead` tells how far its reader is. */
  startFile(file: FileTally, bytesRead: () => number = () => 0): FileTally {
    this.tally.files.push(file);
    this.fileTallies.set(file.file, file);
    this.readBefore = this.tally.read;
    this.fileBytes = bytesRead;
    this.batchBytes = 0;
    return file;
  }

  /** The source is read: its row count, and its blank lines and bytes in the run's. */
  endFile(file: FileTally): void {
    file.rows = this.tally.read - this.readBefore;
    this.tally.blankLines += file.blankLines;
    this.tally.bytesRead += this.currentFileBytes();
  }

  /** Bytes of a batch the worker threads converted from a plain file they read themselves (the progress line). */
  countBatchBytes(bytes: number): void {
    this.batchBytes += bytes;
  }

  private currentFileBytes(): number {
    return Math.max(this.fileBytes(), this.batchBytes);
  }

  /** A record was read (its row may come later: a stateful adapter holds records back). */
  countRead(): void {
    this.tally.read++;
  }

  /** Room for about `ids` more ids at once (a large file's first batch tells how many it holds). */
  expectIds(ids: number): void {
    this.written.reserve(this.written.count + ids);
  }

  /**
   * Applies one row. A payload row whose id another request already had is finished again
   * under a scoped id, from its record and draft: a row made on this thread has them; for a
   * row a worker thread made `again` makes them, asynchronously — the only time this returns
   * a promise (then nothing else may be applied until it settles).
   */
  apply(row: ImportRow): void;
  apply(row: ImportRow, again: MakeAgain): void | Promise<void>;
  apply(row: ImportRow, again?: MakeAgain): void | Promise<void> {
    if (row.kind === 'payload') return this.applyPayload(row, again);
    if (row.kind === 'skip') this.tally.countSkip(row.reason);
    else this.applyReject(row);
  }

  private applyPayload(row: PayloadRow, again: MakeAgain | undefined): void | Promise<void> {
    const seen = this.written.addKey(row.idA, row.idB, row.requestKey, 0, row.line);
    if (!seen) {
      if (this.opts.run?.copyFromAnotherFormat(row.sourceId!, row.draftInput, row.draftOutput, row.line)) this.tally.countSkip('duplicate_copy');
      else this.writePayload(row);
      return;
    }
    if (seen.sameContent || !row.hasRequestKey) {
      this.tally.countSkip('duplicate_copy');
      return;
    }
    if (row.record !== undefined && row.draft !== undefined) return this.applyScoped(row.record, row.draft);
    if (again === undefined) throw new Error(`import: the payload row of line ${row.line} has no draft to finish again`);
    return again(row).then(({ record, draft }) => this.applyScoped(record, draft));
  }

  /** Another request under an id already written: written under its scoped id, unless that too was written. */
  private applyScoped(record: SourceRecord, draft: Draft): void {
    const scoped = this.opts.maker.scoped(record, draft);
    if (scoped.kind !== 'payload') {
      this.apply(scoped);
      return;
    }
    if (this.written.addKey(scoped.idA, scoped.idB, scoped.requestKey, 0, scoped.line)) {
      this.tally.countSkip('duplicate_copy');
      return;
    }
    this.tally.scopedIds++;
    this.writePayload(scoped);
  }

  private writePayload(row: PayloadRow): void {
    this.tally.countRow(row);
    if (row.payload !== undefined) {
      if (this.pending !== undefined) this.writePending();
      this.group.push(row.payload);
      if (this.group.length === PAYLOAD_GROUP) this.writeGroup();
    } else if (row.bytes === this.pending && row.start === this.pendingTo) this.pendingTo = row.end;
    else {
      this.writePending();
      this.pending = row.bytes;
      this.pendingFrom = row.start;
      this.pendingTo = row.end;
    }
  }

  /** Writes the payload lines applied and not yet written; a batch's buffers are given back after this. */
  writePending(): void {
    this.writeGroup();
    if (this.pending !== undefined && this.pendingTo > this.pendingFrom) this.writeBytes(this.pending.subarray(this.pendingFrom, this.pendingTo));
    this.pending = undefined;
  }

  private writeGroup(): void {
    if (this.group.length === 0) return;
    const { buffer, end } = writeGroupLines(this.group, this.lines, 0, () => undefined);
    this.lines = buffer;
    this.group.length = 0;
    this.writeBytes(buffer.subarray(0, end));
  }

  private applyReject(row: RejectRow): void {
    this.tally.countReject(row.reason, row.file, row.line);
    const file = this.fileTallies.get(row.file);
    if (file) file.rejected++;
    if (this.rejects && row.rejectLine !== undefined) this.rejects.write(row.rejectLine);
  }

  /** After a record read on this thread: a requested stop, now and then the progress line, and a wait while a sink is full. */
  afterRecord(fileIndex: number): void | Promise<void> {
    this.interrupt?.check();
    if ((this.tally.read & 1023) === 0) this.progress(fileIndex);
    if (this.output.needsDrain) return this.waitFor(this.output.drain());
    if (this.rejects?.needsDrain) return this.waitFor(this.rejects.drain());
  }

  /** After a batch of rows a worker thread made: its lines written, the progress line, a wait while a sink is full. */
  async afterBatch(fileIndex: number): Promise<void> {
    this.writePending();
    this.interrupt?.check();
    this.progress(fileIndex);
    if (this.output.needsDrain) await this.waitFor(this.output.drain());
    if (this.rejects?.needsDrain) await this.waitFor(this.rejects.drain());
  }

  /** A wait for a full output, which a requested stop ends (a sender no longer reading must not hold it). */
  private waitFor(drain: Promise<void>): Promise<void> {
    return this.interrupt ? this.interrupt.during(drain) : drain;
  }

  private progress(fileIndex: number): void {
    if (!this.opts.onProgress) return;
    const now = Date.now();
    if (now - this.lastProgress >= this.opts.progressEveryMs) {
      this.lastProgress = now;
      this.opts.onProgress({ rows: this.tally.read, bytes: this.tally.bytesRead + this.currentFileBytes(), fileIndex, files: this.opts.files });
    }
  }

  /** Every row read has exactly one outcome: `read = complete + partial + skipped + rejected`. */
  finish(): void {
    this.writePending();
    if (this.tally.read !== this.tally.accounted) {
      throw new Error(`import invariant broken: ${this.tally.read} read but ${this.tally.accounted} accounted for`);
    }
  }
}
