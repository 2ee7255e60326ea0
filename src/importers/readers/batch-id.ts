/**
 * Batch identity for the batch formats. A batch line's `custom_id` is the caller's key and
 * unique only WITHIN its batch (OpenAI's own examples use `request-1` in every batch), so an
 * id derived from it alone collides across batches and the server drops the second batch's
 * rows as duplicates. The adapters prefer a globally unique id on the line; for lines that
 * have none they scope the custom_id with the batch id: `--batch-id ID`, else the id the
 * file name carries (the consoles name downloads `msgbatch_…_results.jsonl` and
 * `batch_…_output.jsonl`), else — the documented limitation — the bare custom_id.
 */
import { basename } from 'node:path';

export type BatchFormat = 'openai-batch' | 'anthropic-batch' | 'bedrock';

// Ids stand alone in the name (no letter or digit before them). An OpenAI batch id has a
// digit (`batch_68c3…`, Azure `batch_<uuid>`), which keeps `azure_batch_output` and
// `batch_req_…` (a request id, not a batch) out.
// Bedrock names the job's output folder after the job id, not the file: only --batch-id scopes it.
const IN_NAME: Partial<Record<BatchFormat, RegExp>> = {
  'openai-batch': /(?<![A-Za-z0-9])batch_(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{6,}/,
  'anthropic-batch': /(?<![A-Za-z0-9])msgbatch_[A-Za-z0-9]{6,}/,
};

/** The batch id a file name carries, if any. */
export function batchIdFromName(format: BatchFormat, file: string): string | undefined {
  return IN_NAME[format]?.exec(basename(file))?.[0];
}

/** What BatchIds counted, as plain data that can cross to another thread. */
export interface BatchIdCounts {
  scoped: [id: string, origin: BatchIdOrigin, lines: number][];
  unscoped: number;
}

/** Where a batch id came from. */
export type BatchIdOrigin = '--batch-id' | 'file name';

/**
 * Resolves the batch id per file and counts how lines without a global id were identified,
 * for the summary. One instance per import run (the CLI passes it in the adapter context so
 * it can report the counts; adapters make their own when none is given).
 */
export class BatchIds {
  private lastFile: string | undefined;
  private lastId: string | undefined;
  /** batch id → origin and lines identified by `<batch id>:<custom_id>`. */
  readonly scoped = new Map<string, { origin: BatchIdOrigin; lines: number }>();
  /** Lines identified by their custom_id alone. */
  unscoped = 0;

  constructor(
    readonly format: BatchFormat,
    readonly flag?: string,
  ) {}

  /** The batch id for lines of `file` (flag first, then the file name), or undefined. */
  batchId(file: string): string | undefined {
    if (this.flag !== undefined) return this.flag;
    if (file !== this.lastFile) {
      this.lastFile = file;
      this.lastId = batchIdFromName(this.format, file);
    }
    return this.lastId;
  }

  /** sourceId for a line of `file` that has no globally unique id. */
  scope(file: string, customId: string): string {
    const id = this.batchId(file);
    if (id === undefined) {
      this.unscoped++;
      return customId;
    }
    const s = this.scoped.get(id);
    if (s) s.lines++;
    else this.scoped.set(id, { origin: this.flag !== undefined ? '--batch-id' : 'file name', lines: 1 });
    return `${id}:${customId}`;
  }

  /** The counts so far, reset to none (an import worker thread hands them to the main thread's instance). */
  takeCounts(): BatchIdCounts {
    const counts: BatchIdCounts = { scoped: [...this.scoped].map(([id, s]) => [id, s.origin, s.lines]), unscoped: this.unscoped };
    this.scoped.clear();
    this.unscoped = 0;
    return counts;
  }

  /** Adds counts another instance took (takeCounts). */
  addCounts(counts: BatchIdCounts): void {
    for (const [id, origin, lines] of counts.scoped) {
      const s = this.scoped.get(id);
      if (s) s.lines += lines;
      else this.scoped.set(id, { origin, lines });
    }
    this.unscoped += counts.unscoped;
  }

  /**
   * Summary lines: every batch id taken from a file name or the flag (also when no line
   * needed it), and a warning for lines identified by custom_id alone.
   */
  notes(files: readonly string[]): string[] {
    const out: string[] = [];
    const ids = new Map<string, BatchIdOrigin>();
    if (this.flag !== undefined) ids.set(this.flag, '--batch-id');
    else for (const f of files) {
      const id = batchIdFromName(this.format, f);
      if (id !== undefined && !ids.has(id)) ids.set(id, 'file name');
    }
    const key = this.format === 'bedrock' ? 'recordId' : 'custom_id';
    for (const [id, origin] of ids) {
      const n = this.scoped.get(id)?.lines ?? 0;
      out.push(
        `batch id from ${origin}: ${id} — ${n === 0 ? 'not needed (every line has a globally unique id)' : `${n.toLocaleString('en-US')} line${n === 1 ? '' : 's'} without a global id identified as ${id}:<${key}>`}`,
      );
    }
    if (this.unscoped > 0) {
      out.push(
        `⚠ ${this.unscoped.toLocaleString('en-US')} line${this.unscoped === 1 ? '' : 's'} identified by ${key} alone (no global id on the line, no batch id): ${key}s repeat across batches, so rows of another batch with the same ${key}s would be dropped by the server as duplicates — give --batch-id <the ${this.format === 'bedrock' ? 'job' : 'batch'}'s id>`,
      );
    }
    return out;
  }
}
