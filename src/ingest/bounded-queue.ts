/**
 * The one bounded hand-over between a producer and the sender: the producer pushes and,
 * while `needsDrain` says so, waits in `waitForRoom()`; the sender pulls through the async
 * iterator (several workers may wait in next() at once, served first come first served).
 * Used for payload files (`sources.ts`) and for `import --send` (`cli/import-send-queue.ts`),
 * so memory stays flat however long the input is.
 *
 * When the consumer stops reading early it calls the iterator's return(): the queue is then
 * cancelled, queued items are dropped, and a waiting producer is told to stop (false).
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  private items: Array<T | undefined> = [];
  private head = 0;
  private ended = false;
  private cancelled = false;
  /** next() calls waiting for an item. */
  private readonly waiters: Array<(r: IteratorResult<T>) => void> = [];
  private wakeProducer: ((go: boolean) => void) | undefined;

  /**
   * @param capacity items that may wait before the producer is asked to pause
   * @param resumeAt a paused producer goes on once no more than this many wait
   */
  constructor(
    readonly capacity: number,
    private readonly resumeAt = capacity / 2,
  ) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** The consumer stopped reading before the end. */
  get isCancelled(): boolean {
    return this.cancelled;
  }

  /** The producer should pause (waitForRoom) before pushing more. */
  get needsDrain(): boolean {
    return this.cancelled || this.size >= this.capacity;
  }

  /** Add an item; once cancelled it is dropped (nobody reads any more). */
  push(item: T): void {
    if (this.cancelled) return;
    if (this.ended) throw new Error('push after end');
    this.items.push(item);
    this.serveWaiters();
  }

  /** Resolves true when there is room again, false when the consumer stopped reading. */
  waitForRoom(): Promise<boolean> {
    if (this.cancelled) return Promise.resolve(false);
    if (this.size < this.capacity) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => (this.wakeProducer = resolve));
  }

  /** No more items: the consumer gets what is queued, then the end. */
  end(): void {
    this.ended = true;
    this.serveWaiters();
  }

  /** The consumer stopped reading: drop what waits and release a waiting producer. */
  cancel(): void {
    this.cancelled = true;
    this.items = [];
    this.head = 0;
    const producer = this.wakeProducer;
    this.wakeProducer = undefined;
    producer?.(false);
    this.serveWaiters();
  }

  /** Hand queued items to waiting readers in order; at the end, the end. */
  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const item = this.cancelled ? undefined : this.take();
      if (item !== undefined) this.waiters.shift()!({ done: false, value: item.value });
      else if (this.ended || this.cancelled) this.waiters.shift()!({ done: true, value: undefined });
      else return;
    }
  }

  /** The next item (boxed, so any T, undefined included, can be queued), waking a paused producer once the queue is down to resumeAt. */
  private take(): { value: T } | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head++;
    // Drop the consumed prefix now and then, rather than shift() per item.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.wakeProducer && this.size <= this.resumeAt) {
      const producer = this.wakeProducer;
      this.wakeProducer = undefined;
      producer(true);
    }
    return { value };
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        if (this.cancelled) return Promise.resolve({ done: true, value: undefined });
        // Earlier readers are served first.
        const item = this.waiters.length === 0 ? this.take() : undefined;
        if (item !== undefined) return Promise.resolve({ done: false, value: item.value });
        if (this.ended && this.size === 0) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => this.waiters.push(resolve));
      },
      return: async (): Promise<IteratorResult<T>> => {
        if (!this.ended || this.size > 0) this.cancel();
        return { done: true, value: undefined };
      },
    };
  }
}
