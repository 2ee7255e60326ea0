/**
 * The one codec of validate rows (row.ts) for their way from a worker thread to the main
 * thread (docs/validate.md "Worker threads"): a batch's rows packed as numbers in two typed
 * arrays, which travel transferred, not copied, and each distinct string once — a file with
 * a warning on every line sends hundreds of thousands of findings. Faults are rare and
 * travel as they are. The layouts below exist nowhere else; test/validate/row-codec.test.ts
 * checks that decoding gives back the rows encoded.
 */
import type { RulePolicy } from '../contract/rule-settings.js';
import { ruleById, type RuleInfo } from '../contract/rules.js';
import type { Position } from '../read/locate.js';
import type { FaultInfo, RecordInfo } from '../read/records.js';
import type { CheckedRecord, Row, RowFinding } from './row.js';

/** A batch's rows, packed (RowEncoder.finish). */
export interface PackedRows {
  rows: Float64Array;
  rowCount: number;
  findings: Float64Array;
  findingCount: number;
  /** Pointers, rule ids, messages, hints and line texts: each distinct one once; "" is always string 0. */
  strings: string[];
  faults: FaultInfo[];
}

const RECORD = 0;
const FAULT = 1;

/** Fields of a row in PackedRows.rows: a record, or a read fault. */
const enum Col {
  Kind,
  Line,
  /** The record's pointer (a string). */
  Pointer,
  HasId,
  IdA,
  IdB,
  Fingerprint,
  /** A record's findings (the next ones in `findings`); a fault's index in `faults`. */
  Findings,
  Size,
}

/** Fields of a finding in PackedRows.findings; strings are indexes into `strings` (-1: none). */
const enum F {
  Rule,
  Pointer,
  Message,
  Hint,
  /** TARGETS index. */
  Target,
  /** 1 when Line, Column, Text and TextColumn hold the finding's position (`at`). */
  Located,
  Line,
  Column,
  Text,
  /** NaN: none. */
  TextColumn,
  Size,
}

const TARGETS = ['value', 'key', 'record'] as const;

/** Numbers that grow by rows of `size`. */
class Table {
  data: Float64Array;
  count = 0;
  constructor(
    private readonly size: number,
    rows: number,
  ) {
    this.data = new Float64Array(rows * size);
  }
  /** Room for one more row; returns its offset in `data` (which may be a new array). */
  add(): number {
    if ((this.count + 1) * this.size > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    return this.count++ * this.size;
  }
}

/** Packs rows one at a time, in order: a row is copied in when added, so its object may be reused after. */
export class RowEncoder {
  private readonly rows = new Table(Col.Size, 2048);
  private readonly found = new Table(F.Size, 256);
  private readonly strings: string[] = [''];
  private readonly index = new Map<string, number>([['', 0]]);
  private readonly faults: FaultInfo[] = [];

  private str(s: string | undefined): number {
    if (s === undefined) return -1;
    if (s === '') return 0;
    let i = this.index.get(s);
    if (i === undefined) this.index.set(s, (i = this.strings.push(s) - 1));
    return i;
  }

  add(row: Row): void {
    const o = this.rows.add();
    const d = this.rows.data;
    if (row.kind === 'fault') {
      d.fill(0, o, o + Col.Size);
      d[o + Col.Kind] = FAULT;
      d[o + Col.Line] = row.fault.line;
      d[o + Col.Findings] = this.faults.push(row.fault) - 1;
      return;
    }
    d[o + Col.Kind] = RECORD;
    d[o + Col.Line] = row.line;
    d[o + Col.HasId] = row.hasId ? 1 : 0;
    d[o + Col.IdA] = row.idA;
    d[o + Col.IdB] = row.idB;
    d[o + Col.Fingerprint] = row.fingerprint;
    d[o + Col.Pointer] = this.str(row.pointer);
    d[o + Col.Findings] = row.findings.length;
    for (const f of row.findings) this.addFinding(f);
  }

  private addFinding(f: RowFinding): void {
    const o = this.found.add();
    const d = this.found.data;
    d[o + F.Rule] = this.str(f.rule.id);
    d[o + F.Pointer] = this.str(f.pointer);
    d[o + F.Message] = this.str(f.message);
    d[o + F.Hint] = this.str(f.hint);
    d[o + F.Target] = TARGETS.indexOf(f.target);
    const at = f.at;
    if (at === undefined) {
      d.fill(0, o + F.Located, o + F.Size);
      return;
    }
    d[o + F.Located] = 1;
    d[o + F.Line] = at.line;
    d[o + F.Column] = at.column;
    d[o + F.Text] = this.str(at.text);
    d[o + F.TextColumn] = at.textColumn ?? Number.NaN;
  }

  finish(): PackedRows {
    return {
      rows: this.rows.data,
      rowCount: this.rows.count,
      findings: this.found.data,
      findingCount: this.found.count,
      strings: this.strings,
      faults: this.faults,
    };
  }
}

/** The buffers to transfer with packed rows (not copy). */
export function packedBuffers(p: PackedRows): ArrayBuffer[] {
  return [p.rows.buffer as ArrayBuffer, p.findings.buffer as ArrayBuffer];
}

const NO_FINDINGS: readonly RowFinding[] = Object.freeze([]);

/** The record row RowDecoder hands out, filled again for each record. */
class DecodedRecord implements CheckedRecord {
  readonly kind = 'record';
  line = 0;
  pointer = '';
  findings: readonly RowFinding[] = NO_FINDINGS;
  hasId = false;
  idA = 0;
  idB = 0;
  fingerprint = 0;
  constructor(private readonly recordAt: (line: number) => RecordInfo | Promise<RecordInfo>) {}
  record(): RecordInfo | Promise<RecordInfo> {
    return this.recordAt(this.line);
  }
}

export interface DecodeOptions {
  /** The rule settings the rows' findings were made with: a finding's rule is decoded as configured, the same object lint gives. */
  rules?: RulePolicy;
  /** A decoded record's record(): the record on `line` of the batch, read again. */
  record(line: number): RecordInfo | Promise<RecordInfo>;
}

/**
 * Unpacks rows in order. A record's row object is reused: it is valid until the next call
 * to `next()` (the applier keeps no row; its problems are new objects). Faults, findings
 * and positions are new objects each time.
 */
export class RowDecoder {
  private readonly recordRow: DecodedRecord;
  /** The rule of each rule id among the strings, as decoded. */
  private readonly rules: (RuleInfo | undefined)[];
  private row = 0;
  private finding = 0;

  constructor(
    private readonly packed: PackedRows,
    private readonly opts: DecodeOptions,
  ) {
    this.recordRow = new DecodedRecord(opts.record);
    // Filled with undefined, not grown: an array that starts empty (or holey) and then takes
    // objects changes its elements kind, which deoptimized the decoding for every new batch.
    this.rules = new Array<RuleInfo | undefined>(packed.strings.length).fill(undefined);
  }

  /** The next row, or undefined after the last. */
  next(): Row | undefined {
    const p = this.packed;
    if (this.row === p.rowCount) return undefined;
    const o = this.row++ * Col.Size;
    const d = p.rows;
    if (d[o + Col.Kind] === FAULT) return { kind: 'fault', fault: p.faults[d[o + Col.Findings]!]! };
    const row = this.recordRow;
    row.line = d[o + Col.Line]!;
    row.pointer = p.strings[d[o + Col.Pointer]!]!;
    row.hasId = d[o + Col.HasId] === 1;
    row.idA = d[o + Col.IdA]!;
    row.idB = d[o + Col.IdB]!;
    row.fingerprint = d[o + Col.Fingerprint]!;
    const n = d[o + Col.Findings]!;
    if (n === 0) row.findings = NO_FINDINGS;
    else {
      const list: RowFinding[] = [];
      for (let k = 0; k < n; k++) list.push(this.nextFinding());
      row.findings = list;
    }
    return row;
  }

  /** The next finding: every one made with the same fields, absent ones undefined (one object shape for the applier's property loads). */
  private nextFinding(): RowFinding {
    const d = this.packed.findings;
    const s = this.packed.strings;
    const o = this.finding++ * F.Size;
    const hintAt = d[o + F.Hint]!;
    return {
      rule: this.ruleAt(d[o + F.Rule]!),
      pointer: s[d[o + F.Pointer]!]!,
      message: s[d[o + F.Message]!]!,
      hint: hintAt >= 0 ? s[hintAt] : undefined,
      target: TARGETS[d[o + F.Target]!]!,
      at: d[o + F.Located] === 1 ? this.position(o) : undefined,
    };
  }

  private position(o: number): Position {
    const d = this.packed.findings;
    const textAt = d[o + F.Text]!;
    const textColumn = d[o + F.TextColumn]!;
    return {
      line: d[o + F.Line]!,
      column: d[o + F.Column]!,
      text: textAt >= 0 ? this.packed.strings[textAt] : undefined,
      textColumn: Number.isNaN(textColumn) ? undefined : textColumn,
    };
  }

  private ruleAt(i: number): RuleInfo {
    let rule = this.rules[i];
    if (rule === undefined) {
      const id = this.packed.strings[i]!;
      const known = ruleById(id);
      const configured = known && this.opts.rules ? this.opts.rules.effective(known) : known;
      // A thread lints with the same settings, and lint drops what they turn off: a bug otherwise.
      if (!configured) throw new Error(`validate row codec: a finding of rule ${id}, which is ${known ? 'off' : 'unknown'}`);
      this.rules[i] = rule = configured;
    }
    return rule;
  }
}
