/**
 * The validate worker thread (started by validate.ts through read/line-pool.ts): checks
 * batches of a large JSONL file's lines (batch.ts) and posts each result back with its
 * buffers transferred, not copied.
 */
import { workerData } from 'node:worker_threads';
import { serveBatches } from '../read/line-pool.js';
import { BatchChecker, type CheckJob, type CheckSetup, type CheckedBatch } from './batch.js';

const checker = new BatchChecker(workerData as CheckSetup);

serveBatches(
  (job: CheckJob) => checker.check(job),
  (result: CheckedBatch) => [result.bytes, result.rows.buffer as ArrayBuffer, result.findings.buffer as ArrayBuffer],
);
