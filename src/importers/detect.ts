/**
 * `--from auto`: the one entry point that decides which adapter reads the given sources.
 * It opens the first source, refuses aggregate-only exports (sniff.ts), and asks every
 * adapter whether the first record is theirs; exactly one must say yes. Stdin can be read
 * only once, so an opened stdin is handed back for the run to continue from.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import type { Source } from '../read/records.js';
import { ADAPTERS, formatIds } from './adapters/index.js';
import { openOrStop, sourceMode } from './run.js';
import { aggregateByColumns, aggregateByRecord, aggregateMessage, peekRecords, sniffCandidates } from './sniff.js';
import type { OpenedSource } from './source.js';
import type { Adapter } from './types.js';

export interface Detection {
  adapter: Adapter;
  /** Why, for the stderr notice and the summary ("spend.csv looks like …"). */
  reason: string;
  /** The first source, when it is stdin and was opened to look at it. */
  openedStdin?: OpenedSource;
}

/** Which adapter reads `sources` (non-empty). Throws an OpsmeterError (exit 2) naming why none or several fit. */
export async function detect(sources: readonly Source[]): Promise<Detection> {
  const first = sources[0];
  if (!first) throw new OpsmeterError('--from auto: nothing to look at', EXIT.usage);
  const o = await openOrStop(first);
  const isStdin = first.path === '-';
  const mode = sourceMode({ input: 'json-or-csv' } as Adapter, first, o.head);
  const peek = peekRecords(o.head.toString('utf8'), first.name, mode);
  if (!isStdin) o.close();
  const agg = peek.columns ? aggregateByColumns(peek.columns) : peek.first ? aggregateByRecord(peek.first.value) : undefined;
  if (agg) throw new OpsmeterError(aggregateMessage(first.name, agg), EXIT.usage);
  if (!peek.first) throw new OpsmeterError(`--from auto: ${first.name} has no record to recognise the format from`, EXIT.usage, 'name the format with --from');
  const candidates = sniffCandidates(peek.first, mode, ADAPTERS);
  if (candidates.length !== 1) {
    throw new OpsmeterError(
      candidates.length === 0
        ? `--from auto: ${first.name} (${mode.toUpperCase()}) matches none of the known formats`
        : `--from auto: ${first.name} matches more than one format: ${candidates.map((c) => c.id).join(', ')}`,
      EXIT.usage,
      `name it with --from (${formatIds().join(', ')}); for other files use --from csv or --from jsonl with --map`,
    );
  }
  const adapter = candidates[0]!;
  const detection: Detection = { adapter, reason: `${first.name} looks like ${adapter.description}` };
  if (isStdin) detection.openedStdin = o;
  return detection;
}
