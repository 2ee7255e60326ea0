/**
 * The main thread's producer of validate rows (row.ts): a source's records, each checked
 * by the RecordChecker the worker threads use too, and its read faults, handed to the
 * applier in file order. Also the reading itself, with IO failures as the user's error.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { SourceError, readRecordStream, sourceChunks, type ReadStats, type RecordSink, type Source, type SourceFormat } from '../read/records.js';
import type { RecordChecker, RowApplier } from './row.js';

/** A file that cannot be read at all (exit 2). */
class SourceReadError extends OpsmeterError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message, EXIT.usage);
  }
}

/** An IO failure as the user's error (exit 2), naming the file; anything else is a bug and must not pass as one. */
export function readFailure(source: Source, e: unknown): unknown {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string' && !(e instanceof SourceError)) return e;
  const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
  return new SourceReadError(source.name, `${source.name}: cannot read: ${why}`);
}

/** readRecordStream of a source, with IO failures as the user's error (exit 2), naming the file. */
export async function readSource(source: Source, format: SourceFormat | undefined, sink: RecordSink): Promise<ReadStats> {
  try {
    return await readRecordStream(sourceChunks(source.path), format, sink);
  } catch (e) {
    throw readFailure(source, e);
  }
}

/** Reads a source on this thread: each record's row and each fault's, to `run` in file order. */
export function readRows(source: Source, checker: RecordChecker, run: RowApplier): Promise<ReadStats> {
  return readSource(source, source.format, {
    record: (r) => run.apply(checker.row(r)),
    fault: (fault) => run.apply({ kind: 'fault', fault }),
  });
}
