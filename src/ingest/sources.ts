/**
 * Payload files and stdin as a stream of SendItems, reusing the validate readers
 * (JSON, JSON arrays, JSONL, sniffed stdin). Back-pressure: reading pauses while the
 * sender is behind, so a 1 GB JSONL file is never held in memory. Unparseable records
 * and unreadable files become items with `readError` (reported as not sent), never a crash.
 * A record with a duplicate key is one item, refused as validate reports it (json/duplicate-key,
 * an error that cannot be configured): JSON.parse kept the last value, which may not be the
 * one meant, so it is not sent (import rejects such a record too).
 */
import { RULES } from '../contract/rules.js';
import { readRecords, type Source } from '../read/records.js';
import { STOP } from '../read/lines.js';
import { BoundedQueue } from './bounded-queue.js';
import type { SendItem } from './sender.js';

/** Records read ahead of the sender: reading pauses at HIGH_WATER and resumes at LOW_WATER. */
const HIGH_WATER = 256;
const LOW_WATER = 64;

export async function* itemsFromSources(sources: readonly Source[]): AsyncGenerator<SendItem> {
  for (const src of sources) yield* itemsFromSource(src);
}

async function* itemsFromSource(src: Source): AsyncGenerator<SendItem> {
  const queue = new BoundedQueue<SendItem>(HIGH_WATER, LOW_WATER);
  // A duplicate-key fault comes just before the record it is in (FaultInfo.recordIndex).
  let duplicateKey: { recordIndex: number; readError: string } | undefined;
  // Not awaited: when the sender stops early (the queue is cancelled) the reader winds down on
  // its own; awaiting it could hang on a stdin pipe that never ends.
  void readRecords(src, {
    record(r) {
      if (queue.isCancelled) return STOP;
      const where = `${src.name}:${r.line}`;
      if (duplicateKey?.recordIndex === r.index) queue.push({ value: r.value, where, readError: duplicateKey.readError });
      else queue.push({ value: r.value, where });
      duplicateKey = undefined;
      return queue.needsDrain ? queue.waitForRoom().then((go) => (go ? undefined : STOP)) : undefined;
    },
    fault(f) {
      if (f.fault === 'duplicate-key' && f.recordIndex !== undefined) {
        // Worded as the local check words lint errors: pointer, message, rule id.
        duplicateKey = { recordIndex: f.recordIndex, readError: `${f.pointer || '(payload)'}: ${f.message} (line ${f.line}, column ${f.column}) [${RULES.jsonDuplicateKey.id}]` };
        return queue.isCancelled ? STOP : undefined;
      }
      queue.push({ value: undefined, where: `${src.name}:${f.line}`, readError: `${f.message} (line ${f.line}, column ${f.column})` });
      return queue.isCancelled ? STOP : undefined;
    },
  })
    .then(
      (stats) => {
        if (stats.records === 0 && queue.size === 0 && !queue.isCancelled) {
          queue.push({ value: undefined, where: src.name, readError: `${src.name} holds no payloads`, noPayloads: true });
        }
      },
      (e: unknown) => {
        const code = (e as NodeJS.ErrnoException).code;
        queue.push({ value: undefined, where: src.name, readError: `cannot read ${src.name}: ${code === 'EISDIR' ? 'is a directory' : code ?? (e as Error).message}` });
      },
    )
    .finally(() => queue.end());
  // Stopping early calls the queue's return(), which cancels it and so stops the reader.
  yield* queue;
}

/** Up to this many bytes of JSONL are counted for the progress line's total; beyond, the total stays unknown. */
const COUNT_LIMIT_BYTES = 32 * 1024 * 1024;

/**
 * How many payloads the sources hold, when that is cheap to know: only JSONL files
 * (one payload per non-blank line) of at most 32 MB in all, counted by scanning bytes
 * (no parsing). Undefined for stdin, JSON documents, or more data: the progress line then
 * shows no total rather than a guess.
 */
export async function countPayloadsCheaply(sources: readonly Source[]): Promise<number | undefined> {
  const { readFile, stat } = await import('node:fs/promises');
  let bytes = 0;
  for (const s of sources) {
    if (s.path === '-' || s.format !== 'jsonl') return undefined;
    bytes += (await stat(s.path).catch(() => ({ size: Infinity }))).size;
    if (bytes > COUNT_LIMIT_BYTES) return undefined;
  }
  let n = 0;
  for (const s of sources) {
    const buf = await readFile(s.path).catch(() => undefined);
    if (buf === undefined) return undefined;
    let blank = true;
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i]!;
      if (c === 10) {
        if (!blank) n++;
        blank = true;
      } else if (c !== 13 && c !== 32 && c !== 9) blank = false;
    }
    if (!blank) n++;
  }
  return n;
}
