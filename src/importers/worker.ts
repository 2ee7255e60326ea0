/**
 * The import's worker thread (started by parallel.ts): converts batches of a large JSONL
 * file's lines one at a time, in the order they arrive, and posts each result back with its
 * buffers transferred, not copied. A failure here is a bug: it is not caught, so the thread
 * ends with the error, which the main thread raises as an internal error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { adapterById } from './adapters/index.js';
import { BatchConverter, type BatchJob, type BatchSetup } from './batch.js';

const setup = workerData as BatchSetup;
const adapter = adapterById(setup.adapter);
if (!adapter?.independent) throw new Error(`import worker: ${setup.adapter} is not an adapter whose records are independent`);
const converter = new BatchConverter(adapter, setup);
const port = parentPort!;

// Jobs are converted strictly one after another: results must come back in the order sent.
let queue = Promise.resolve();
port.on('message', (job: BatchJob) => {
  queue = queue.then(async () => {
    const result = await converter.convert(job);
    port.postMessage(result, [result.bytes, result.rows.buffer as ArrayBuffer, result.payloads]);
  });
  // An error ends the thread: rethrown outside the promise chain, it is the worker's 'error' event.
  queue.catch((e: unknown) =>
    setImmediate(() => {
      throw e;
    }),
  );
});
