/**
 * validate's worker threads for a large JSONL file (docs/validate.md "Speed on a large JSONL
 * file"): a line pool (read/line-pool.ts) whose threads run worker.ts, and the producer that
 * hands their rows, decoded (row-codec.ts), to the applier in file order, as read-rows.ts
 * hands on the rows it reads on this thread.
 *
 * Loaded only when a run has such a file: a small run starts no thread.
 */
import type { RulePolicy } from '../contract/rule-settings.js';
import { batchRecords, fileBytes } from '../read/batches.js';
import { STOP } from '../read/lines.js';
import { LinePool, inPool } from '../read/line-pool.js';
import { lineIssueFault, type ReadStats, type RecordInfo, type Source } from '../read/records.js';
import type { CheckJob, CheckSetup, CheckedBatch } from './batch.js';
import { readFailure } from './read-rows.js';
import { RowDecoder } from './row-codec.js';
import type { RowApplier, Verdict } from './row.js';

export class CheckPool extends LinePool<CheckJob, CheckedBatch> {
  constructor(setup: CheckSetup, threads: number) {
    super({ command: 'validate', worker: new URL('./worker.js', import.meta.url), setup, threads });
  }
}

/** The applier, and the room its report has left (CheckJob). */
export interface ThreadedRun extends RowApplier {
  room(): { errorRoom: number; warningRoom: number };
}

/** A batch's record on `line`, read again from the bytes the thread handed back: the whole batch at the first call. */
function batchRecord(job: CheckJob, result: CheckedBatch): (line: number) => RecordInfo | Promise<RecordInfo> {
  let byLine: Map<number, RecordInfo> | undefined;
  return (line) => (byLine !== undefined ? byLine.get(line)! : batchRecords(result.bytes, result.length, job.linesBefore).then((m) => (byLine = m).get(line)!));
}

/**
 * Reads a file in the pool's threads and applies its rows in file order; undefined for a
 * UTF-16 file, which the one-thread reader reports as a whole (`pool` starts the threads, if
 * they are not running yet, only after that check). `rules`: the settings the threads lint
 * with (the rows' rules are decoded as configured).
 */
export async function checkInThreads(pool: () => CheckPool, source: Source, run: ThreadedRun, rules: RulePolicy | undefined): Promise<ReadStats | undefined> {
  let bytes: Awaited<ReturnType<typeof fileBytes>>;
  try {
    bytes = await fileBytes(source.path);
  } catch (e) {
    throw readFailure(source, e);
  }
  if (bytes.utf16) {
    await bytes.close();
    return undefined;
  }
  let records = 0;
  let blankLines = 0;
  const apply = async (item: { job: CheckJob; result: CheckedBatch } | { longLine: number }): Promise<Verdict> => {
    if ('longLine' in item) return run.apply({ kind: 'fault', fault: lineIssueFault('too-long', item.longLine) });
    const { job, result } = item;
    records += result.records;
    blankLines += result.blankLines;
    const rows = new RowDecoder(result.rows, { rules, record: batchRecord(job, result) });
    for (let row = rows.next(); row !== undefined; row = rows.next()) {
      const applied = run.apply(row);
      if ((applied instanceof Promise ? await applied : applied) === STOP) return STOP;
    }
    return undefined;
  };
  try {
    const { lines, stopped } = await inPool(pool(), bytes, source.name, (lines): CheckJob => ({ ...lines, ...run.room() }), apply);
    return { format: 'jsonl', records, lines, blankLines, bytes: 0, stopped };
  } catch (e) {
    throw readFailure(source, e);
  } finally {
    await bytes.close();
  }
}
