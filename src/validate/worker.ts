/**
 * The validate worker thread (started by parallel.ts through read/line-pool.ts): checks
 * batches of a large JSONL file's lines (batch.ts) and posts each result back with its
 * buffers transferred, not copied.
 */
import { workerData } from 'node:worker_threads';
import { serveBatches } from '../read/line-pool.js';
import { BatchChecker, type CheckJob, type CheckSetup, type CheckedBatch } from './batch.js';
import { packedBuffers } from './row-codec.js';

const checker = new BatchChecker(workerData as CheckSetup);

serveBatches(
  (job: CheckJob) => checker.check(job),
  (result: CheckedBatch) => [result.bytes, ...packedBuffers(result.rows)],
);
