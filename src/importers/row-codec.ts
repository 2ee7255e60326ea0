/**
 * How import rows (row.ts) cross from a worker thread to the main thread: packed into
 * buffers that are transferred, not copied (docs/import.md "Worker threads for large JSONL
 * files"). A batch's rows become one Float64Array of numbers (one fixed-width record per row),
 * a short table of the strings they name (provider, model, endpointTag, user and reasons stored once; source ids
 * and rejects lines one each) and one buffer of the payload lines already encoded as UTF-8.
 * Nothing outside this module knows the layout.
 */
import type { Payload } from '../contract/fields.js';
import { appliedFromMask, appliedMask } from './finish.js';
import { PAYLOAD_GROUP, withRoom, writeGroupLines } from './payload-lines.js';
import { emptyPayloadRow, type ImportRow, type RejectRow, type SkipRow } from './row.js';

/** Row kinds as numbers. */
const PAYLOAD = 0;
const SKIP = 1;
const REJECT = 2;

/**
 * The numbers of one row. Strings are indexes into `strings` (-1: none); createdAt and the
 * draft's tokens are NaN for none. A skip's or reject's reason is at Provider, a reject's
 * rejects-file line at Model.
 */
const enum Col {
  Kind,
  Line,
  /** Where the payload's line starts in `payloads`, and its length in bytes. */
  TextStart,
  TextLength,
  IdA,
  IdB,
  RequestKey,
  HasRequestKey,
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
  SourceId,
  DraftInput,
  DraftOutput,
  EndpointTag,
  UserId,
  ReachedModel,
  Size,
}

const REASON = Col.Provider;
const REJECT_LINE = Col.Model;

/** A batch's rows as they cross between threads. */
export interface EncodedRows {
  numbers: Float64Array;
  count: number;
  strings: string[];
  /** The payload rows' lines, in order, as UTF-8: `payloads[0, payloadBytes)`. */
  payloads: ArrayBuffer;
  payloadBytes: number;
}

/** The buffers of rows already applied, handed back to be filled again (memory stays flat). */
export interface RowBuffers {
  numbers: ArrayBuffer;
  payloads: ArrayBuffer;
}

export const rowBuffers = (rows: EncodedRows): RowBuffers => ({ numbers: rows.numbers.buffer as ArrayBuffer, payloads: rows.payloads });

/** The buffers to transfer (not copy) with a batch's rows. */
export const transferList = (rows: EncodedRows): ArrayBuffer[] => [rows.numbers.buffer as ArrayBuffer, rows.payloads];

const nothing = (n: number | undefined): number => (n === undefined ? Number.NaN : n);
const something = (n: number): number | undefined => (Number.isNaN(n) ? undefined : n);

/** Packs one batch's rows, in the worker thread. */
export class RowEncoder {
  private numbers: Float64Array;
  private rowCount = 0;
  private readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  /** Encoded here, off the main thread, into one buffer that is transferred, not copied. */
  private payloads: Buffer;
  private payloadBytes = 0;
  /** Payloads not yet serialised (payload-lines.ts), and the offsets of their rows' numbers. */
  private readonly group: Payload[] = [];
  private readonly groupRows: number[] = [];

  constructor(spare?: RowBuffers) {
    this.numbers = spare ? new Float64Array(spare.numbers) : new Float64Array(2048 * Col.Size);
    this.payloads = spare ? Buffer.from(spare.payloads) : Buffer.allocUnsafeSlow(1024 * 1024);
  }

  get count(): number {
    return this.rowCount;
  }

  add(row: ImportRow): void {
    const o = this.next(row.kind === 'payload' ? PAYLOAD : row.kind === 'skip' ? SKIP : REJECT, row.line);
    const n = this.numbers;
    if (row.kind === 'skip') n[o + REASON] = this.shared(row.reason);
    else if (row.kind === 'reject') {
      n[o + REASON] = this.shared(row.reason);
      n[o + REJECT_LINE] = this.own(row.rejectLine);
    } else {
      if (row.payload !== undefined) {
        this.group.push(row.payload);
        this.groupRows.push(o);
        if (this.group.length === PAYLOAD_GROUP) this.flushGroup();
      } else {
        // A line already encoded (a decoded row packed again): after the payloads before it.
        this.flushGroup();
        n[o + Col.TextStart] = this.payloadBytes;
        n[o + Col.TextLength] = this.copyLine(row.bytes!, row.start, row.end);
      }
      n[o + Col.IdA] = row.idA;
      n[o + Col.IdB] = row.idB;
      n[o + Col.RequestKey] = row.requestKey;
      n[o + Col.HasRequestKey] = row.hasRequestKey ? 1 : 0;
      n[o + Col.Known] = row.known ? 1 : 0;
      n[o + Col.Applied] = appliedMask(row.applied);
      n[o + Col.Input] = row.input;
      n[o + Col.Output] = row.output;
      n[o + Col.CacheRead] = row.cacheRead;
      n[o + Col.CacheWrite] = row.cacheWrite;
      n[o + Col.Reasoning] = row.reasoning;
      n[o + Col.Provider] = this.shared(row.provider);
      n[o + Col.Model] = this.shared(row.model);
      n[o + Col.LoggedModel] = this.shared(row.loggedModel);
      n[o + Col.CreatedAt] = nothing(row.createdAt);
      n[o + Col.PartialReason] = this.shared(row.partialReason);
      n[o + Col.SourceId] = this.own(row.sourceId);
      n[o + Col.DraftInput] = nothing(row.draftInput);
      n[o + Col.DraftOutput] = nothing(row.draftOutput);
      n[o + Col.EndpointTag] = this.shared(row.endpointTag);
      n[o + Col.UserId] = this.shared(row.userId);
      n[o + Col.ReachedModel] = row.reachedModel ? 1 : 0;
    }
  }

  /** The rows packed so far (the encoder is done with them). */
  finish(): EncodedRows {
    this.flushGroup();
    return { numbers: this.numbers, count: this.rowCount, strings: this.strings, payloads: this.payloads.buffer as ArrayBuffer, payloadBytes: this.payloadBytes };
  }

  private next(kind: number, line: number): number {
    if ((this.rowCount + 1) * Col.Size > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const o = this.rowCount++ * Col.Size;
    this.numbers.fill(-1, o, o + Col.Size);
    this.numbers[o + Col.Kind] = kind;
    this.numbers[o + Col.Line] = line;
    return o;
  }

  /** The payloads held, serialised as lines after the lines before (payload-lines.ts), and their rows' places set. */
  private flushGroup(): void {
    if (this.group.length === 0) return;
    const rows = this.groupRows;
    const n = this.numbers;
    const written = writeGroupLines(this.group, this.payloads, this.payloadBytes, (i, start, length) => {
      n[rows[i]! + Col.TextStart] = start;
      n[rows[i]! + Col.TextLength] = length;
    });
    this.payloads = written.buffer;
    this.payloadBytes = written.end;
    this.group.length = 0;
    rows.length = 0;
  }

  /** A line already encoded, copied after the lines before; returns its length in bytes. */
  private copyLine(bytes: Buffer, start: number, end: number): number {
    const n = end - start;
    this.payloads = withRoom(this.payloads, this.payloadBytes, n);
    bytes.copy(this.payloads, this.payloadBytes, start, end);
    this.payloadBytes += n;
    return n;
  }

  /** A string few rows differ in (provider, model, reasons): stored once. */
  private shared(s: string | undefined): number {
    if (s === undefined) return -1;
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.push(s) - 1;
      this.index.set(s, i);
    }
    return i;
  }

  private own(s: string | undefined): number {
    return s === undefined ? -1 : this.strings.push(s) - 1;
  }
}

/**
 * Reads one batch's rows, on the main thread. `row(i)` decodes into one row object per kind
 * that this decoder reuses: a row is valid until the next call, and the applier keeps none
 * (a new object per row cost ~4 % more instructions in applying a batch, counted with
 * cachegrind). A payload row's `bytes` are the batch's buffer, valid until the batch's
 * buffers go back to a thread.
 */
export class RowDecoder {
  readonly count: number;
  private readonly numbers: Float64Array;
  private readonly strings: string[];
  private readonly payloads: Buffer;
  private readonly payloadRow = emptyPayloadRow();
  private readonly skipRow: SkipRow = { kind: 'skip', line: 0, reason: '' };
  private readonly rejectRow: RejectRow;

  constructor(rows: EncodedRows, file: string) {
    this.count = rows.count;
    this.numbers = rows.numbers;
    this.strings = rows.strings;
    this.payloads = Buffer.from(rows.payloads, 0, rows.payloadBytes);
    this.rejectRow = { kind: 'reject', line: 0, file, reason: '', rejectLine: undefined };
  }

  row(i: number): ImportRow {
    const n = this.numbers;
    const o = i * Col.Size;
    const kind = n[o + Col.Kind];
    const line = n[o + Col.Line]!;
    if (kind === SKIP) {
      const r = this.skipRow;
      r.line = line;
      r.reason = this.strings[n[o + REASON]!]!;
      return r;
    }
    if (kind === REJECT) {
      const r = this.rejectRow;
      r.line = line;
      r.reason = this.strings[n[o + REASON]!]!;
      r.rejectLine = this.string(n[o + REJECT_LINE]!);
      return r;
    }
    const r = this.payloadRow;
    r.line = line;
    r.bytes = this.payloads;
    r.start = n[o + Col.TextStart]!;
    r.end = r.start + n[o + Col.TextLength]!;
    r.idA = n[o + Col.IdA]!;
    r.idB = n[o + Col.IdB]!;
    r.requestKey = n[o + Col.RequestKey]!;
    r.hasRequestKey = n[o + Col.HasRequestKey] === 1;
    r.known = n[o + Col.Known] === 1;
    r.applied = appliedFromMask(n[o + Col.Applied]!);
    r.input = n[o + Col.Input]!;
    r.output = n[o + Col.Output]!;
    r.cacheRead = n[o + Col.CacheRead]!;
    r.cacheWrite = n[o + Col.CacheWrite]!;
    r.reasoning = n[o + Col.Reasoning]!;
    r.provider = this.strings[n[o + Col.Provider]!]!;
    r.model = this.strings[n[o + Col.Model]!]!;
    r.loggedModel = this.string(n[o + Col.LoggedModel]!);
    r.createdAt = something(n[o + Col.CreatedAt]!);
    r.partialReason = this.string(n[o + Col.PartialReason]!);
    r.sourceId = this.string(n[o + Col.SourceId]!);
    r.draftInput = something(n[o + Col.DraftInput]!);
    r.draftOutput = something(n[o + Col.DraftOutput]!);
    r.endpointTag = this.string(n[o + Col.EndpointTag]!);
    r.userId = this.string(n[o + Col.UserId]!);
    r.reachedModel = n[o + Col.ReachedModel] === 1;
    return r;
  }

  private string(i: number): string | undefined {
    return i < 0 ? undefined : this.strings[i];
  }
}
