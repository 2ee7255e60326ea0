/**
 * The main thread's producer of import rows: each record read goes through the adapter's
 * converter; results come back in any order (a stateful adapter holds records and releases
 * them later), are put back in input order, and each becomes its row (RowMaker, as in the
 * worker threads) and is applied at once (docs/import.md "The pipeline").
 */
import type { ImportApplier } from './apply.js';
import { conversionFailure, type RowMaker } from './row.js';
import type { Adapter, AdapterContext, Converter, RecordOutcome, Result, SourceRecord } from './types.js';
import { waiting } from './waiting.js';

interface Rec extends SourceRecord {
  /** Its place in input order. */
  seq: number;
}

export class RecordRows {
  private readonly converter: Converter;
  /** Records read so far, and the first whose row is not applied yet. */
  private seq = 0;
  private nextSeq = 0;
  /** Results that came back before their turn, by their record's seq. */
  private readonly held = new Map<number, Result>();
  /** Records whose push() threw: already rejected, whatever the converter returns for them later. */
  private readonly abandoned = new Set<number>();

  constructor(
    private readonly adapter: Adapter,
    ctx: AdapterContext,
    private readonly maker: RowMaker,
    private readonly applier: ImportApplier,
  ) {
    this.converter = adapter.create(ctx);
  }

  /** A record read: converted, its row applied in its turn. */
  push(value: unknown, file: string, line: number, raw: string | undefined): void {
    const rec = this.read(value, file, line, raw);
    let results: Result[];
    try {
      results = this.converter.push(rec);
    } catch (e) {
      this.abandoned.add(rec.seq);
      this.deliver({ record: rec, outcome: { kind: 'reject', reason: conversionFailure(this.adapter.id, e) } });
      return;
    }
    for (const r of results) this.deliver(r);
  }

  /** A record read whose outcome the pipeline decided itself (unreadable, ragged or blank rows). */
  settle(value: unknown, file: string, line: number, raw: string | undefined, outcome: RecordOutcome): void {
    this.deliver({ record: this.read(value, file, line, raw), outcome });
  }

  /** After the last source: the results the converter still holds, and its notes for the summary. */
  finish(): void {
    let tail: Result[];
    try {
      tail = this.converter.finish();
    } catch (e) {
      throw new Error(`adapter ${this.adapter.id} failed to finish: ${(e as Error).message}`);
    }
    for (const r of tail) this.deliver(r);
    this.applier.tally.adapterNotes.push(...(this.converter.notes?.() ?? []));
    if (this.held.size > 0 || this.nextSeq < this.seq) {
      throw new Error(`adapter ${this.adapter.id} did not return every record (${this.seq - this.nextSeq} outstanding)`);
    }
  }

  private read(value: unknown, file: string, line: number, raw: string | undefined): Rec {
    this.applier.countRead();
    return { value, file, line, raw, seq: this.seq++ };
  }

  /** A result, applied in input order: held (without its source value, to keep memory flat) until its turn. */
  private deliver(res: Result): void {
    const s = (res.record as Partial<Rec>).seq;
    if (typeof s !== 'number' || s < this.nextSeq || this.held.has(s)) {
      if (typeof s === 'number' && this.abandoned.has(s)) return;
      throw new Error(`adapter ${this.adapter.id} returned a record it was not given, or returned one twice`);
    }
    if (s !== this.nextSeq) {
      this.held.set(s, waiting(res));
      return;
    }
    this.apply(res);
    while (this.held.size > 0) {
      const r = this.held.get(this.nextSeq);
      if (!r) break;
      this.held.delete(this.nextSeq);
      this.apply(r);
    }
  }

  private apply(res: Result): void {
    this.nextSeq++;
    this.applier.apply(this.maker.outcome(res.record, res.outcome));
  }
}
