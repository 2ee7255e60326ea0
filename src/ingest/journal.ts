/**
 * `--journal FILE`: one JSON line per final outcome — {externalRequestId, outcome, status}
 * (plus where the event came from and a message for problem outcomes). A re-run with the
 * same journal skips events it already holds as accepted, so an interrupted send resumes
 * without double counting. The API key is never part of an entry.
 *
 * A journal that cannot be written is a failure, never a warning: an outcome it lacks is one
 * a resume sends again. The first failed write is reported at once (`onFailure`: the session
 * stops sending) and again when the journal is closed (exit 2).
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { describeWriteError } from '../result-file.js';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { splitLines } from '../read/lines.js';
import type { EventResult } from './sender.js';

export interface JournalEntry {
  externalRequestId: string | null;
  outcome: EventResult['outcome'];
  status: number | null;
  attempts?: number;
  where?: string;
  message?: string;
}

/** The journal cannot be read or written (exit 2). */
export class JournalError extends OpsmeterError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export interface JournalState {
  accepted: Set<string>;
  entries: number;
  /** Lines that were not journal entries (e.g. cut short by a crash); ignored. */
  unreadable: number;
}

/** Read what an earlier run recorded; an absent file is an empty journal. */
export async function readJournal(path: string): Promise<JournalState> {
  const state: JournalState = { accepted: new Set(), entries: 0, unreadable: 0 };
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new JournalError(`journal ${path} is not a regular file`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return state;
    if (e instanceof JournalError) throw e;
    throw new JournalError(`cannot read journal ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    await splitLines(createReadStream(path), {
      line(text) {
        if (text.trim() === '') return;
        let e: Partial<JournalEntry>;
        try {
          e = JSON.parse(text) as Partial<JournalEntry>;
        } catch {
          state.unreadable++;
          return;
        }
        if (typeof e !== 'object' || e === null || typeof e.outcome !== 'string') {
          state.unreadable++;
          return;
        }
        state.entries++;
        if (e.outcome === 'accepted' && typeof e.externalRequestId === 'string') state.accepted.add(e.externalRequestId);
      },
      issue() {
        state.unreadable++;
      },
    });
  } catch (e) {
    throw new JournalError(`cannot read journal ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return state;
}

export class Journal {
  private failure: JournalError | undefined;
  /** Entries the system confirmed written. */
  private written = 0;
  private readonly afterWrite = (e?: Error | null) => {
    if (!e) this.written++;
  };

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    private readonly onFailure: ((e: JournalError) => void) | undefined,
  ) {
    stream.on('error', (e) => {
      if (this.failure) return;
      this.failure = new JournalError(
        `cannot write journal ${path}: ${describeWriteError(e)}; ${this.written} entr${this.written === 1 ? 'y was' : 'ies were'} written, the outcomes after ${this.written === 1 ? 'it' : 'them'} are not in it`,
      );
      this.onFailure?.(this.failure);
    });
  }

  /**
   * Open for appending; a last line cut short by a crash is terminated first. `onFailure` is
   * told of the first write that fails.
   */
  static async open(path: string, onFailure?: (e: JournalError) => void): Promise<Journal> {
    let needsNewline = false;
    try {
      const h = await open(path, 'r');
      try {
        const { size } = await h.stat();
        if (size > 0) {
          const b = Buffer.alloc(1);
          await h.read(b, 0, 1, size - 1);
          needsNewline = b[0] !== 0x0a;
        }
      } finally {
        await h.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new JournalError(`cannot open journal ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const stream = createWriteStream(path, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (e: NodeJS.ErrnoException) => reject(new JournalError(`cannot write journal ${path}: ${e.code ?? e.message}`)));
    });
    const j = new Journal(path, stream, onFailure);
    if (needsNewline) stream.write('\n');
    return j;
  }

  /** The first failed write, if any. */
  get failed(): JournalError | undefined {
    return this.failure;
  }

  record(r: EventResult): void {
    if (this.failure) return;
    const e: JournalEntry = { externalRequestId: r.externalRequestId ?? null, outcome: r.outcome, status: r.status ?? null, attempts: r.attempts };
    if (r.where !== undefined) e.where = r.where;
    if (r.message !== undefined && r.outcome !== 'accepted') e.message = r.message;
    this.stream.write(JSON.stringify(e) + '\n', this.afterWrite);
  }

  /** Flush and close; rejects if any write failed. */
  async close(): Promise<void> {
    if (!this.stream.closed) {
      await new Promise<void>((resolve) => {
        this.stream.once('close', () => resolve());
        this.stream.end();
      });
    }
    if (this.failure) throw this.failure;
  }
}
