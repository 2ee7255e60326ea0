/**
 * `--journal FILE`: one JSON line per final outcome — {externalRequestId, outcome, status}
 * (plus where the event came from and a message for problem outcomes). A re-run with the
 * same journal skips events it already holds as accepted, so an interrupted send resumes
 * without double counting. The API key is never part of an entry.
 */
import { EXIT, OpsmeterError } from '../errors.js';
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
  private failure: Error | undefined;
  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (e) => (this.failure ??= e));
  }

  /** Open for appending; a last line cut short by a crash is terminated first. */
  static async open(path: string): Promise<Journal> {
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
    const j = new Journal(path, stream);
    if (needsNewline) stream.write('\n');
    return j;
  }

  record(r: EventResult): void {
    const e: JournalEntry = { externalRequestId: r.externalRequestId ?? null, outcome: r.outcome, status: r.status ?? null, attempts: r.attempts };
    if (r.where !== undefined) e.where = r.where;
    if (r.message !== undefined && r.outcome !== 'accepted') e.message = r.message;
    this.stream.write(JSON.stringify(e) + '\n');
  }

  /** Flush and close; rejects if any write failed. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    if (this.failure) throw new JournalError(`writing journal ${this.path} failed: ${(this.failure as NodeJS.ErrnoException).code ?? this.failure.message}`);
  }
}
