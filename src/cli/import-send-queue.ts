/**
 * `import --send`: the bridge between the import pipeline and the sender. The pipeline
 * writes payload JSONL to a line output and waits while `needsDrain` says so; the sender
 * pulls items lazily from an async iterable. This is both: a line output in front of the
 * sender's bounded queue (ingest/bounded-queue.ts), so a file of any length flows through
 * with flat memory: the import pauses while the sender is behind, and resumes once the
 * sender has taken half of what waits.
 *
 * When the sender stops reading (Ctrl-C, or it failed) it calls the iterator's return():
 * the queue is then cancelled and the import's next write or drain throws SendingStopped,
 * which ends the import. After a 402 or 401 the sender keeps reading (the rest is counted
 * as not sent), so the import runs to its end and its summary stays complete.
 */
import { BoundedQueue } from '../ingest/bounded-queue.js';
import type { SendItem } from '../ingest/sender.js';
import type { LineOutput } from '../importers/sink.js';

/** The sender stopped taking payloads; the import should stop too. */
export class SendingStopped extends Error {
  constructor() {
    super('sending stopped before the import finished');
  }
}

export class PayloadQueue implements LineOutput, AsyncIterable<SendItem> {
  private readonly queue: BoundedQueue<SendItem>;
  /** Text after the last newline of a write (a line split across writes). */
  private carry = '';
  /** Payloads queued so far: item n is "payload n" in the send summary. */
  private count = 0;

  /**
   * @param capacity payloads that may wait before the import is asked to pause
   * @param copy     also write every line here (`-o FILE` with `--send`)
   */
  constructor(
    readonly capacity = 1000,
    private readonly copy?: LineOutput,
  ) {
    this.queue = new BoundedQueue<SendItem>(capacity, capacity / 2);
  }

  get size(): number {
    return this.queue.size;
  }

  /** Payloads handed to the queue so far. */
  get written(): number {
    return this.count;
  }

  get wasCancelled(): boolean {
    return this.queue.isCancelled;
  }

  write(text: string): void {
    if (this.queue.isEnded) throw new Error('write after end');
    // The line was made (and counted): the -o copy keeps it even when the sender no longer takes it.
    this.copy?.write(text);
    if (this.queue.isCancelled) throw new SendingStopped();
    const buf = this.carry + text;
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n', start)) {
      if (nl > start) this.push(buf.slice(start, nl));
      start = nl + 1;
    }
    this.carry = buf.slice(start);
  }

  private push(line: string): void {
    this.count++;
    // The pipeline wrote this line with JSON.stringify: parsing it back cannot fail.
    this.queue.push({ value: JSON.parse(line), where: `payload ${this.count}` });
  }

  get needsDrain(): boolean {
    return this.queue.needsDrain || this.copy?.needsDrain === true;
  }

  /** Resolves when the sender has taken half of what waits (and the copy has drained). */
  async drain(): Promise<void> {
    if (this.copy?.needsDrain) await this.copy.drain();
    if (!(await this.queue.waitForRoom())) throw new SendingStopped();
  }

  /** The import is done (successfully or not): the sender gets what is queued, then the end. */
  end(): void {
    if (this.carry !== '') {
      this.push(this.carry);
      this.carry = '';
    }
    this.queue.end();
  }

  /** The sender stopped reading: the import's next write or drain throws SendingStopped. */
  cancel(): void {
    this.queue.cancel();
  }

  [Symbol.asyncIterator](): AsyncIterator<SendItem> {
    return this.queue[Symbol.asyncIterator]();
  }
}
