/**
 * The import's worker thread (started by parallel.ts): makes the rows of batches of a large
 * JSONL file's lines (batch.ts) and posts each result back with its buffers transferred, not
 * copied (read/line-pool.ts serveBatches).
 */
import { workerData } from 'node:worker_threads';
import { serveBatches } from '../read/line-pool.js';
import { adapterById } from './adapters/index.js';
import { BatchConverter, type BatchJob, type BatchResult, type BatchSetup } from './batch.js';
import { transferList } from './row-codec.js';

const setup = workerData as BatchSetup;
const adapter = adapterById(setup.adapter);
if (!adapter?.independent) throw new Error(`import worker: ${setup.adapter} is not an adapter whose records are independent`);
const converter = new BatchConverter(adapter, setup);

serveBatches(
  (job: BatchJob) => converter.convert(job),
  (result: BatchResult) => [result.bytes, ...transferList(result.rows)],
);
