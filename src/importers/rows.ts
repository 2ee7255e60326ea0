/**
 * What the import does with one row, written once for the main thread (run.ts) and the
 * worker threads that convert large JSONL files (batch.ts): the reasons for rows the reader
 * refuses, finishing a draft with its failure caught, and the line a rejected row becomes in
 * the rejects file. Both threads must word and write every row alike, byte for byte.
 */
import type { FaultInfo } from '../read/records.js';
import { finishDraft, scrubPersonal, type Finished, type FinishOptions } from './finish.js';
import type { Draft, SourceRecord } from './types.js';

const TOO_DEEP = 'the record is nested too deeply to copy into the rejects file; raw is null';

export const isStackOverflow = (e: unknown) => e instanceof RangeError && /call stack/i.test(e.message);

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

/** The reason a record holding a duplicate key is rejected with (rather than guess which value counts). */
export function duplicateKeyReason(f: FaultInfo): string {
  return `${f.message} (line ${f.line}, column ${f.column})`;
}

/** Why converting a record threw. */
export function conversionFailure(adapterId: string, e: unknown): string {
  const why = isStackOverflow(e) ? 'the record is nested too deeply to read' : (e as Error).message;
  return `adapter ${adapterId} failed on this record: ${why}`;
}

/** finishDraft, a failure of which rejects the row instead of ending the import. */
export function finishSafely(draft: Draft, opts: FinishOptions): Finished {
  try {
    return finishDraft(draft, opts);
  } catch (e) {
    return { ok: false as const, reason: `cannot build a payload: ${(e as Error).message}` };
  }
}

/** A rejected row's line in the rejects file: `{file, line, reason, raw}`. */
export function rejectLine(record: SourceRecord, reason: string, hashSalt: string | undefined): string {
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
