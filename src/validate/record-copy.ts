/**
 * A copy of the stdin records a spilled duplicate index may report at the end
 * (docs/validate.md, "Memory"). A file is read again for its late repeats; stdin cannot
 * be, so from the spill on (repeats found at the end all come after it) each of its records
 * that has an id is appended here: its arrival number, its text and where the text stands
 * (recordText), enough to give a repeat its id and exact position. Nothing is written for
 * a run whose index never spills.
 */
import type { RecordInfo, RecordText } from '../read/records.js';
import { recordFromText, recordText } from '../read/records.js';
import { TempFile } from './spill.js';

/** Per record: arrival number, record line, text line, text column, then the byte lengths of pointer, prefix and text. */
const HEADER_WORDS = 7;
const HEADER_BYTES = HEADER_WORDS * 4;
/** Records are buffered and written (and read back) this many bytes at a time. */
const BLOCK = 64 * 1024;

export interface CopiedRecord {
  ordinal: number;
  /** The record as it was read (its value parsed again), as record number `index` of its source; valid until the next step. */
  record(index: number): RecordInfo;
}

export class RecordCopy {
  private file: TempFile | undefined;
  private pending = Buffer.allocUnsafe(BLOCK);
  private filled = 0;

  /** Copies one record (one made by src/read/records.ts: any other has no text to copy). */
  add(ordinal: number, r: RecordInfo): void {
    const t = recordText(r);
    // A bug, not the user's input: skipping the record would drop its repeat from the report unsaid.
    if (t === undefined) throw new Error('RecordCopy: a record that src/read/records.ts did not make');
    const { pointer, prefix, text } = t;
    // Room for the strings at 3 bytes a UTF-16 unit at most, so they can be written before
    // their byte lengths are known (no pass over them to count); a big record is counted.
    const most = HEADER_BYTES + 3 * (pointer.length + prefix.length + text.length);
    const room = most <= BLOCK ? most : HEADER_BYTES + Buffer.byteLength(pointer) + Buffer.byteLength(prefix) + Buffer.byteLength(text);
    if (this.filled + room > this.pending.length) {
      this.flush();
      if (room > this.pending.length) this.pending = Buffer.allocUnsafe(room);
    }
    const b = this.pending;
    const header = this.filled;
    let at = header + HEADER_BYTES;
    const pointerBytes = pointer === '' ? 0 : b.write(pointer, at, 'utf8');
    at += pointerBytes;
    const prefixBytes = prefix === '' ? 0 : b.write(prefix, at, 'utf8');
    at += prefixBytes;
    const textBytes = b.write(text, at, 'utf8');
    at += textBytes;
    b.writeUInt32LE(ordinal, header);
    b.writeUInt32LE(t.recordLine, header + 4);
    b.writeUInt32LE(t.line, header + 8);
    b.writeUInt32LE(t.column, header + 12);
    b.writeUInt32LE(pointerBytes, header + 16);
    b.writeUInt32LE(prefixBytes, header + 20);
    b.writeUInt32LE(textBytes, header + 24);
    this.filled = at;
  }

  private flush(): void {
    if (this.filled === 0) return;
    (this.file ??= new TempFile('stdin-records')).append(this.pending.subarray(0, this.filled));
    this.filled = 0;
    if (this.pending.length > BLOCK) this.pending = Buffer.allocUnsafe(BLOCK);
  }

  /** The copied records in the order they were added; each is decoded only when asked for. */
  *records(): Generator<CopiedRecord> {
    this.flush();
    const file = this.file;
    if (file === undefined) return;
    let buf = Buffer.allocUnsafe(BLOCK);
    let start = 0;
    let end = 0;
    let position = 0;
    /** At least `n` bytes from `start` in `buf` (false at the end of the file). */
    const have = (n: number): boolean => {
      if (end - start >= n) return true;
      if (n > buf.length) {
        const bigger = Buffer.allocUnsafe(n);
        buf.copy(bigger, 0, start, end);
        buf = bigger;
      } else buf.copy(buf, 0, start, end);
      end -= start;
      start = 0;
      const got = file.read(buf.subarray(end), position);
      position += got;
      end += got;
      return end - start >= n;
    };
    const h = new Uint32Array(HEADER_WORDS);
    while (have(HEADER_BYTES)) {
      for (let k = 0; k < HEADER_WORDS; k++) h[k] = buf.readUInt32LE(start + k * 4);
      const bodyBytes = h[4]! + h[5]! + h[6]!;
      start += HEADER_BYTES;
      if (!have(bodyBytes)) throw new Error('RecordCopy: the temp file ends inside a record');
      const at = start;
      start += bodyBytes;
      yield {
        ordinal: h[0]!,
        record(index) {
          // Only until the next step: the window moves on.
          const p = at + h[4]!;
          const q = p + h[5]!;
          const t: RecordText = {
            pointer: buf.toString('utf8', at, p),
            prefix: buf.toString('utf8', p, q),
            text: buf.toString('utf8', q, at + bodyBytes),
            recordLine: h[1]!,
            line: h[2]!,
            column: h[3]!,
          };
          return recordFromText(t, index);
        },
      };
    }
  }

  close(): void {
    this.file?.close();
    this.file = undefined;
  }
}
