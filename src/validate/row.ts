/**
 * A validate row: what the report is made of, one per record or read fault, in file order
 * (docs/validate.md "Worker threads"). Two producers make rows — the main thread's reader
 * (read-rows.ts) and a worker thread's batch checker (batch.ts) — and one applier
 * (run.ts, ValidateRun) counts and reports them. Both producers make a record's row with
 * RecordChecker, so a row's content does not depend on the thread that made it; rows made in
 * a thread cross to the main thread through row-codec.ts.
 */
import { lintPayload, type Finding, type LintContext } from '../contract/lint.js';
import type { Position } from '../read/locate.js';
import type { STOP } from '../read/lines.js';
import type { FaultInfo, RecordInfo } from '../read/records.js';
import { contentFingerprint, hashId } from './duplicates.js';

/**
 * A finding of a checked record, with the settings applied (lint's `Finding`). `pointer` is
 * relative to the record. `at` is its position when it was found with the record (a worker
 * thread finds those the report still has room for); without it, the applier finds the
 * position from the record, and only if the problem is printed.
 */
export interface RowFinding extends Finding {
  at?: Position;
}

/**
 * A record, checked: its findings and, for the duplicate index, its id's hash and content
 * fingerprint. Its arrival number is not in it: rows are applied in file order, so the
 * applier counts them (one count, whichever producer made the row).
 */
export interface CheckedRecord {
  readonly kind: 'record';
  /** The line the record starts on. */
  readonly line: number;
  /** The record's pointer in its file ("" for a JSONL line, "/3" for an array's fourth element): its findings' pointers are relative to it. */
  readonly pointer: string;
  readonly findings: readonly RowFinding[];
  /**
   * True when the duplicate rule runs and the record has a non-empty string
   * externalRequestId: `idA`/`idB` are its hash (hashId), `fingerprint` the record's content
   * (contentFingerprint). All three are 0 otherwise.
   */
  readonly hasId: boolean;
  readonly idA: number;
  readonly idB: number;
  readonly fingerprint: number;
  /**
   * The record as read: at hand for a row made on this thread, read again from its batch's
   * bytes for one made in a worker thread. For a position not found yet, and a repeated id's
   * text (the threads send no ids).
   */
  record(): RecordInfo | Promise<RecordInfo>;
}

/** A line or element that is not a record (a syntax fault, a duplicate key, undecodable bytes, a line too long). */
export interface FaultRow {
  readonly kind: 'fault';
  readonly fault: FaultInfo;
}

export type Row = CheckedRecord | FaultRow;

/** What a producer hands its rows to, in file order (ValidateRun). */
export interface RowApplier {
  /** A fault is applied at once: its position is known (read/records.ts hands faults on synchronously). */
  apply(row: FaultRow): Verdict;
  /** A record may wait for its record to be read again, or for the locator to load. */
  apply(row: Row): Verdict | Promise<Verdict>;
}

/** STOP: --bail ends the run. */
export type Verdict = typeof STOP | undefined;

/**
 * A record's row as both producers make it (RecordChecker.row): it holds the record it was
 * made from. One is made per record, so its fields are set in the constructor: as class
 * fields, V8 ran their initializer as a call of its own (~100 instructions a record, callgrind).
 */
export class RecordRow implements CheckedRecord {
  declare readonly kind: 'record';
  declare findings: RowFinding[];
  declare hasId: boolean;
  declare idA: number;
  declare idB: number;
  declare fingerprint: number;
  declare private readonly held: RecordInfo;

  constructor(held: RecordInfo) {
    this.held = held;
    this.kind = 'record';
    this.findings = NO_FINDINGS;
    this.hasId = false;
    this.idA = 0;
    this.idB = 0;
    this.fingerprint = 0;
  }

  get line(): number {
    return this.held.line;
  }

  /** Asked for only when the record has a problem: an array element's pointer is made on demand (read/records.ts). */
  get pointer(): string {
    return this.held.pointer;
  }

  record(): RecordInfo {
    return this.held;
  }
}

const NO_FINDINGS: RowFinding[] = [];
const ID_KEY = new Uint32Array(2);

/** What makes a record's row, on the main thread and in every worker thread alike. */
export class RecordChecker {
  constructor(
    private readonly ctx: LintContext,
    /** The duplicate rule runs: ids are hashed and contents fingerprinted. */
    private readonly duplicates: boolean,
  ) {}

  /** The record's row: lint's findings (positions not found yet) and, when the duplicate rule runs, its id's hash and content fingerprint. */
  row(r: RecordInfo): RecordRow {
    const row = new RecordRow(r);
    row.findings = lintPayload(r.value, this.ctx);
    const id = (r.value as { externalRequestId?: unknown } | null)?.externalRequestId;
    if (this.duplicates && typeof id === 'string' && id !== '') {
      hashId(id, ID_KEY);
      row.hasId = true;
      row.idA = ID_KEY[0]!;
      row.idB = ID_KEY[1]!;
      // A fingerprint of the parsed fields, not the raw text: the same payload formatted
      // differently (a .json file and a JSONL line, other key order) is the same content.
      row.fingerprint = contentFingerprint(r.value);
    }
    return row;
  }
}
