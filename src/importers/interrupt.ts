/**
 * Stopping an import between rows (the CLI requests it on SIGINT, SIGTERM or SIGHUP). The
 * pipeline checks after each record it reads (after each batch in worker threads) and unwinds
 * with ImportInterrupted to runImport, which applies the rows already made — the ones a
 * stateful adapter holds included — so every payload line is written whole, and the tally
 * still accounts for every row read (docs/import.md "Interrupting an import"). A read waiting
 * for input (stdin, a pipe) ends at once instead of holding the stop.
 */

/** Thrown between rows once a stop is requested; runImport catches it. */
export class ImportInterrupted extends Error {
  constructor() {
    super('the import was interrupted');
  }
}

export class ImportInterrupt {
  private stopRequested = false;
  /** True once the pipeline stopped before the end of its input. */
  cutShort = false;
  /** Reads waiting for input, woken by request(). */
  private readonly waiters = new Set<() => void>();

  get requested(): boolean {
    return this.stopRequested;
  }

  request(): void {
    this.stopRequested = true;
    for (const wake of [...this.waiters]) wake();
  }

  /** Throws ImportInterrupted when a stop was requested: called between rows. */
  check(): void {
    if (this.stopRequested) throw new ImportInterrupted();
  }

  /**
   * The chunks of a source, ending in ImportInterrupted as soon as a stop is requested, even
   * while a read waits. Not Promise.race with one long-lived promise, which keeps a reaction
   * (and so every chunk read) until it settles: each read's waker is dropped when it settles.
   */
  async *chunks(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const it = source[Symbol.asyncIterator]();
    for (;;) {
      this.check();
      const pending = it.next();
      const n = await this.unlessRequested(pending);
      if (n === undefined) {
        pending.catch(() => {}); // the abandoned read may still fail when its source is closed
        throw new ImportInterrupted();
      }
      if (n.done) return;
      yield n.value;
    }
  }

  /** A wait (a full output's drain) that a requested stop ends with ImportInterrupted. */
  async during(wait: Promise<void>): Promise<void> {
    const settled = wait.then(() => true);
    if ((await this.unlessRequested(settled)) === undefined) {
      settled.catch(() => {}); // the abandoned wait may still fail (a cancelled send queue)
      throw new ImportInterrupted();
    }
  }

  private unlessRequested<T>(read: Promise<T>): Promise<T | undefined> {
    if (this.stopRequested) return Promise.resolve(undefined);
    return new Promise<T | undefined>((resolve, reject) => {
      const wake = () => resolve(undefined);
      this.waiters.add(wake);
      read.then(
        (v) => {
          this.waiters.delete(wake);
          resolve(v);
        },
        (e: unknown) => {
          this.waiters.delete(wake);
          reject(e);
        },
      );
    });
  }
}
