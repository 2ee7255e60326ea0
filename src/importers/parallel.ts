/**
 * The import's worker threads for a large JSONL file (docs/import.md "Performance"): a
 * line pool (read/line-pool.ts) whose threads run worker.ts, each job carrying back the
 * payload and row buffers of an applied result to be filled again. run.ts applies each
 * result in file order (order, duplicate ids, tally, output).
 *
 * Loaded only when an import has such a file: a small import starts no thread.
 */
import type { LinesJob, LongLine } from '../read/batches.js';
import { LinePool, inPool } from '../read/line-pool.js';
import type { BatchJob, BatchResult, BatchSetup } from './batch.js';

export { fileBytes, type LongLine } from '../read/batches.js';

export class WorkerPool extends LinePool<BatchJob, BatchResult> {
  constructor(setup: BatchSetup, count: number) {
    // Buffers of applied results, filled again by the next batches: memory stays flat.
    const outputs: NonNullable<BatchJob['spare']>[] = [];
    super({
      command: 'import',
      worker: new URL('./worker.js', import.meta.url),
      setup,
      threads: count,
      attach(job) {
        const spare = outputs.pop();
        if (!spare) return [];
        job.spare = spare;
        return [spare.payloads, spare.rows];
      },
      release: (r) => void outputs.push({ payloads: r.payloads, rows: r.rows.buffer as ArrayBuffer }),
    });
  }
}

/** The batches of one file converted in the pool, each result (or long line) handed to `apply` in file order; returns the file's line count. */
export async function convertInPool(
  pool: WorkerPool,
  input: Parameters<typeof inPool>[1],
  file: string,
  apply: (r: { job: BatchJob; result: BatchResult } | LongLine) => void | Promise<void>,
): Promise<number> {
  const { lines } = await inPool(pool, input, file, (job: LinesJob): BatchJob => job, apply);
  return lines;
}
