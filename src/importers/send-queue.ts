/**
 * `import --send`: the bridge between the import pipeline and the sender. The pipeline
 * writes payload JSONL to a line output and waits while `needsDrain` says so; the sender
 * pulls items lazily from an async iterable. This queue is both, with a bounded size, so
 * a file of any length flows through with flat memory: the import pauses while the sender
 * is behind, and resumes once the sender has taken half of what waits.
 *
 * When the sender stops reading (Ctrl-C, or it failed) it calls the iterator's return():
 * the queue is then cancelled and the import's next write or drain throws SendingStopped,
 * which ends the import. After a 402 or 401 the sender keeps reading (the rest is counted
 * as not sent), so the import runs to its end and its summary stays complete.
 */
import type { SendItem } from '../ingest/sender.js';
import type { LineOutput } from './sink.js';

/** The sender stopped taking payloads; the import should stop too. */
export class SendingStopped extends Error {
  constructor() {
    super('sending stopped before the import finished');
  }
}

export class PayloadQueue implements LineOutput, AsyncIterable<SendItem> {
  private items: SendItem[] = [];
  private head = 0;
  /** Text after the last newline of a write (a line split across writes). */
  private carry = '';
  private ended = false;
  private cancelled = false;
  /** Payloads queued so far: item n is "payload n" in the send summary. */
  private count = 0;
  /** next() calls waiting for a payload: the sender's workers all read at once. */
  private readonly waiters: Array<(r: IteratorResult<SendItem>) => void> = [];
  private wakeProducer: ((stopped: boolean) => void) | undefined;

  /**
   * @param capacity payloads that may wait before the import is asked to pause
   * @param copy     also write every line here (`-o FILE` with `--send`)
   */
  constructor(
    readonly capacity = 1000,
    private readonly copy?: LineOutput,
  ) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Payloads handed to the queue so far. */
  get written(): number {
    return this.count;
  }

  write(text: string): void {
    if (this.cancelled) throw new SendingStopped();
    if (this.ended) throw new Error('write after end');
    this.copy?.write(text);
    const buf = this.carry + text;
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n', start)) {
      if (nl > start) this.push(buf.slice(start, nl));
      start = nl + 1;
    }
    this.carry = buf.slice(start);
    this.serveWaiters();
  }

  private push(line: string): void {
    this.count++;
    // The pipeline wrote this line with JSON.stringify: parsing it back cannot fail.
    this.items.push({ value: JSON.parse(line), where: `payload ${this.count}` });
  }

  get needsDrain(): boolean {
    return this.cancelled || this.size >= this.capacity || this.copy?.needsDrain === true;
  }

  /** Resolves when the sender has taken half of what waits (and the copy has drained). */
  async drain(): Promise<void> {
    if (this.copy?.needsDrain) await this.copy.drain();
    if (this.cancelled) throw new SendingStopped();
    if (this.size < this.capacity) return;
    const stopped = await new Promise<boolean>((resolve) => (this.wakeProducer = resolve));
    if (stopped) throw new SendingStopped();
  }

  /** The import is done (successfully or not): the sender gets what is queued, then the end. */
  end(): void {
    if (this.carry !== '') {
      this.push(this.carry);
      this.carry = '';
    }
    this.ended = true;
    this.serveWaiters();
  }

  /** The sender stopped reading: the import's next write or drain throws SendingStopped. */
  cancel(): void {
    this.cancelled = true;
    this.items = [];
    this.head = 0;
    const producer = this.wakeProducer;
    this.wakeProducer = undefined;
    producer?.(true);
    this.serveWaiters();
  }

  /** Hand queued payloads to waiting readers, first come first served; at the end, the end. */
  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const item = this.cancelled ? undefined : this.take();
      if (item !== undefined) this.waiters.shift()!({ done: false, value: item });
      else if (this.ended || this.cancelled) this.waiters.shift()!({ done: true, value: undefined });
      else return;
    }
  }

  get wasCancelled(): boolean {
    return this.cancelled;
  }

  private take(): SendItem | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as SendItem;
    this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.wakeProducer && this.size <= this.capacity / 2) {
      const producer = this.wakeProducer;
      this.wakeProducer = undefined;
      producer(false);
    }
    return item;
  }

  [Symbol.asyncIterator](): AsyncIterator<SendItem> {
    return {
      next: (): Promise<IteratorResult<SendItem>> => {
        if (this.cancelled) return Promise.resolve({ done: true, value: undefined });
        // Earlier readers are served first.
        const item = this.waiters.length === 0 ? this.take() : undefined;
        if (item !== undefined) return Promise.resolve({ done: false, value: item });
        if (this.ended && this.size === 0) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: async (): Promise<IteratorResult<SendItem>> => {
        if (!this.ended || this.size > 0) this.cancel();
        return { done: true, value: undefined };
      },
    };
  }
}
