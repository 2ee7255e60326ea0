/**
 * validate's worker threads for a large JSONL file (docs/validate.md "Speed on a large JSONL
 * file"): a line pool (read/line-pool.ts) whose threads run worker.ts; validate.ts applies
 * each checked batch in file order (counts, the duplicate index, the report).
 *
 * Loaded only when a run has such a file: a small run starts no thread.
 */
import { LinePool } from '../read/line-pool.js';
import type { CheckJob, CheckSetup, CheckedBatch } from './batch.js';

export { batchRecords, fileBytes } from '../read/batches.js';
export { inPool } from '../read/line-pool.js';
export { Col, F, FAULT, TARGETS } from './batch.js';

export class CheckPool extends LinePool<CheckJob, CheckedBatch> {
  constructor(setup: CheckSetup, threads: number) {
    super({ command: 'validate', worker: new URL('./worker.js', import.meta.url), setup, threads });
  }
}
