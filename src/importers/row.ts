/**
 * One import row — what one record read becomes: a payload, a skip or a reject — and the one
 * way an adapter's result becomes a row (RowMaker), for the main thread (record-rows.ts) and
 * the worker threads that convert large JSONL files (batch.ts) alike. So a row's content
 * and wording are the same wherever it was made, and the applier (apply.ts) takes rows from
 * either without knowing which (docs/import.md "The pipeline").
 */
import { parseZonedDateTime, type Payload } from '../contract/fields.js';
import { fnv1a } from '../contract/random.js';
import type { FaultInfo, RecordInfo, RecordSink } from '../read/records.js';
import { hashId } from '../validate/duplicates.js';
import { finishDraft, scrubPersonal, type Finished, type FinishOptions } from './finish.js';
import { payloadFacts, payloadFigures, type CountedPayload } from './import-summary.js';
import type { Draft, RecordOutcome, SourceRecord } from './types.js';

/**
 * A finished payload: what the applier needs to check its id, count it and write it. The
 * figures (CountedPayload) are the tally's and the cost ledger's; createdAt is epoch ms.
 */
export interface PayloadRow extends CountedPayload {
  kind: 'payload';
  line: number;
  /** The payload, serialised when it is written (a row made on this thread)… */
  payload: Payload | undefined;
  /** …or its line as a worker thread encoded it (UTF-8 JSON and a line end): `bytes[start, end)`, the batch's buffer. */
  bytes: Buffer | undefined;
  start: number;
  end: number;
  /** The 64-bit key of its externalRequestId (hashId's two halves). */
  idA: number;
  idB: number;
  /** fnv1a of the draft's requestKey, 0 without one (hasRequestKey). */
  requestKey: number;
  hasRequestKey: boolean;
  createdAt: number | undefined;
  /** In a run of several formats (RowSetup.crossFormat): the draft's source id and token counts, for the copy check across formats. */
  sourceId: string | undefined;
  draftInput: number | undefined;
  draftOutput: number | undefined;
  /**
   * Its record and draft, for the rare row whose id another request already had (finished
   * again under a scoped id, RowMaker.scoped). Undefined in a row a worker thread made: the
   * main thread makes them again from the batch (parallel.ts).
   */
  record: SourceRecord | undefined;
  draft: Draft | undefined;
}

export interface SkipRow {
  kind: 'skip';
  line: number;
  reason: string;
}

export interface RejectRow {
  kind: 'reject';
  line: number;
  /** The file it was read from (its per-file reject count). */
  file: string;
  reason: string;
  /** Its line in the rejects file, made when there is one (RowSetup.rejects). */
  rejectLine: string | undefined;
}

export type ImportRow = PayloadRow | SkipRow | RejectRow;

const NO_DEFAULTS: readonly never[] = Object.freeze([]);

/** A payload row with every field set and nothing in it: the one shape every payload row has. */
export function emptyPayloadRow(): PayloadRow {
  return {
    kind: 'payload',
    line: 0,
    payload: undefined,
    bytes: undefined,
    start: 0,
    end: 0,
    idA: 0,
    idB: 0,
    requestKey: 0,
    hasRequestKey: false,
    provider: '',
    model: '',
    known: false,
    applied: NO_DEFAULTS,
    partialReason: undefined,
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    reasoning: 0,
    loggedModel: undefined,
    createdAt: undefined,
    endpointTag: undefined,
    userId: undefined,
    reachedModel: true,
    sourceId: undefined,
    draftInput: undefined,
    draftOutput: undefined,
    record: undefined,
    draft: undefined,
  };
}

export interface RowSetup {
  finish: FinishOptions;
  /** --provider: the provider of every payload, whatever the records say. */
  provider: string | undefined;
  /** A rejects file is written: make each reject's line. */
  rejects: boolean;
  /** The run reads several formats (run-state.ts): payload rows carry their draft's source id and tokens. */
  crossFormat: boolean;
}

const ID_KEY = new Uint32Array(2);

/** Turns an adapter's outcome for a record into its row: the same on every thread. */
export class RowMaker {
  constructor(private readonly setup: RowSetup) {}

  /** The row of `outcome`, the result of converting `record` (or the pipeline's own verdict on it). */
  outcome(record: SourceRecord, outcome: RecordOutcome): ImportRow {
    switch (outcome.kind) {
      case 'payload':
        return this.payload(record, this.draft(outcome.draft));
      case 'skip':
        return { kind: 'skip', line: record.line, reason: outcome.reason };
      case 'reject':
        return this.reject(record, outcome.reason);
      default:
        return this.reject(record, `adapter returned an unknown outcome ${JSON.stringify((outcome as { kind?: unknown }).kind)}`);
    }
  }

  /** An adapter's draft with --provider applied. */
  draft(draft: Draft): Draft {
    const provider = this.setup.provider;
    return provider === undefined ? draft : { ...draft, provider };
  }

  /** A draft finished into its payload row, or the reject row finishing gives (a skip: outside --since/--until). */
  payload(record: SourceRecord, draft: Draft): PayloadRow | RejectRow | SkipRow {
    const fin = finishSafely(draft, this.setup.finish);
    if (!fin.ok) return fin.skip !== undefined ? { kind: 'skip', line: record.line, reason: fin.skip } : this.reject(record, fin.reason);
    const p = fin.payload;
    const row = emptyPayloadRow();
    row.line = record.line;
    row.payload = p;
    hashId(p.externalRequestId!, ID_KEY);
    row.idA = ID_KEY[0]!;
    row.idB = ID_KEY[1]!;
    row.requestKey = draft.requestKey === undefined ? 0 : fnv1a(draft.requestKey);
    row.hasRequestKey = draft.requestKey !== undefined;
    row.provider = p.provider;
    row.model = p.model;
    row.known = fin.known;
    row.applied = fin.applied;
    payloadFacts(p, payloadFigures(p, row));
    // As epoch ms: a number to carry across threads, not a string to take apart (CostLedger.add).
    row.createdAt = p.createdAt === undefined ? undefined : parseZonedDateTime(p.createdAt);
    const cross = this.setup.crossFormat;
    row.sourceId = cross ? draft.sourceId : undefined;
    row.draftInput = cross ? draft.inputTokens : undefined;
    row.draftOutput = cross ? draft.outputTokens : undefined;
    row.record = record;
    row.draft = draft;
    return row;
  }

  /**
   * Another request under an id already written (an OpenAI batch_req_… shared by two
   * custom_ids): the draft finished under `<sourceId>#<requestKey>` (docs/import.md).
   */
  scoped(record: SourceRecord, draft: Draft): PayloadRow | RejectRow | SkipRow {
    return this.payload(record, { ...draft, sourceId: `${draft.sourceId}#${draft.requestKey}` });
  }

  reject(record: SourceRecord, reason: string): RejectRow {
    return {
      kind: 'reject',
      line: record.line,
      file: record.file,
      reason,
      rejectLine: this.setup.rejects ? rejectLine(record, reason, this.setup.finish.hashSalt) : undefined,
    };
  }
}

/**
 * What happens to a JSON source's records before conversion, the same on every thread:
 * `first` sees the source's first record (an aggregate export is refused); a record holding
 * a duplicate key comes to `record` with the reason it is rejected for (rather than guess
 * which value counts); a line the reader refuses comes to `fault` as a record with its reason.
 */
export function jsonRecordSink(
  file: string,
  on: {
    first(r: RecordInfo): void;
    record(r: RecordInfo, duplicateKey: string | undefined): void | Promise<void>;
    fault(record: SourceRecord, reason: string): void;
  },
): RecordSink {
  let first = true;
  let duplicateKeyRecord = -1;
  let duplicateKeyMessage = '';
  return {
    record(r) {
      if (first) {
        first = false;
        on.first(r);
      }
      return on.record(r, r.index === duplicateKeyRecord ? duplicateKeyMessage : undefined);
    },
    fault(f) {
      if (f.fault === 'duplicate-key') {
        // The record follows with the last value winning.
        duplicateKeyRecord = f.recordIndex ?? -1;
        duplicateKeyMessage = duplicateKeyReason(f);
        return;
      }
      on.fault({ value: undefined, file, line: f.line, raw: f.text }, faultReason(f));
    },
  };
}

const TOO_DEEP = 'the record is nested too deeply to copy into the rejects file; raw is null';

const isStackOverflow = (e: unknown) => e instanceof RangeError && /call stack/i.test(e.message);

/**
 * A record as JSON text for the rejects file, or undefined when it is nested too deeply for
 * JSON.stringify (it recurses: ~1e4 levels overflow the stack, while JSON.parse reads 1e5).
 */
function rawJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (isStackOverflow(e)) return undefined;
    throw e;
  }
}

/** The reject reason of a reader fault (a duplicate key is not one: its record follows, see duplicateKeyReason). */
export function faultReason(f: FaultInfo): string {
  return f.fault === 'syntax' ? `not valid JSON: ${f.message} (column ${f.column})` : f.message;
}

/** The reason a record holding a duplicate key is rejected with. */
function duplicateKeyReason(f: FaultInfo): string {
  return `${f.message} (line ${f.line}, column ${f.column})`;
}

/** Why converting a record threw. */
export function conversionFailure(adapterId: string, e: unknown): string {
  const why = isStackOverflow(e) ? 'the record is nested too deeply to read' : (e as Error).message;
  return `adapter ${adapterId} failed on this record: ${why}`;
}

/** finishDraft, a failure of which rejects the row instead of ending the import. */
function finishSafely(draft: Draft, opts: FinishOptions): Finished {
  try {
    return finishDraft(draft, opts);
  } catch (e) {
    return { ok: false as const, reason: `cannot build a payload: ${(e as Error).message}` };
  }
}

/** A rejected row's line in the rejects file: `{file, line, reason, raw}`. */
function rejectLine(record: SourceRecord, reason: string, hashSalt: string | undefined): string {
  let raw: string | null = record.raw ?? null;
  if (hashSalt !== undefined) {
    // The rejects file must not undo --hash-user-ids: a row is copied with its personal
    // identifiers hashed, and a row that could not be parsed (so cannot be scrubbed) is left out.
    raw = null;
    if (record.value !== undefined) {
      const json = rawJson(scrubPersonal(record.value, hashSalt));
      if (json === undefined) reason += ` (${TOO_DEEP})`;
      else raw = json;
    } else if (record.raw !== undefined) reason += ' (raw left out: it cannot be parsed, so its identifiers cannot be hashed under --hash-user-ids)';
  } else if (raw === null && record.value !== undefined) {
    const json = rawJson(record.value);
    if (json === undefined) reason += ` (${TOO_DEEP})`;
    else raw = json;
  }
  return JSON.stringify({ file: record.file, line: record.line, reason, raw }) + '\n';
}
