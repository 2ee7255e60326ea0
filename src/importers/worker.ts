/**
 * The import's worker thread (started by parallel.ts): makes the rows of batches of a large
 * JSONL file's lines (batch.ts) and posts each result back with its buffers transferred, not
 * copied (read/line-pool.ts serveBatches).
 */
import { workerData } from 'node:worker_threads';
import { serveBatches } from '../read/line-pool.js';
import { BatchConverter, type BatchJob, type BatchResult, type BatchSetup } from './batch.js';
import { transferList } from './row-codec.js';
import type { Adapter } from './types.js';

const setup = workerData as BatchSetup;
// Only the run's adapter is loaded (each is `adapters/<id>.ts`, adapters/index.ts), not the
// registry of all of them: a thread compiles what it loads, and ~25 ms of each thread's start went to the others.
if (!/^[a-z][a-z-]*$/.test(setup.adapter)) throw new Error(`import worker: ${JSON.stringify(setup.adapter)} is not an adapter id`);
const adapter = ((await import(`./adapters/${setup.adapter}.js`)) as { adapter?: Adapter }).adapter;
if (adapter?.id !== setup.adapter || !adapter.independent) throw new Error(`import worker: ${setup.adapter} is not an adapter whose records are independent`);
const converter = new BatchConverter(adapter, setup);

serveBatches(
  (job: BatchJob) => converter.convert(job),
  (result: BatchResult) => [result.bytes, ...transferList(result.rows)],
);
