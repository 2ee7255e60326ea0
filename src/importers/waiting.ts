/**
 * What a result keeps while it waits for its turn. The pipeline writes results in input
 * order, so behind one record a stateful adapter holds (claude-code keeps every distinct
 * response until finish()) everything else waits in memory; with the parsed line attached
 * that is the whole transcript text (a 450 MB Claude Code directory peaked at ~860 MB RSS).
 *
 * Once an outcome is decided the source value is no longer read, except for a rejects line:
 * - reject → kept whole (its `raw`, or the value, goes to --rejects);
 * - skip → only file/line and the pipeline's own fields stay;
 * - payload → the draft is all finishing reads, but a draft that fails the final lint gate
 *   becomes a reject, so the row's text is kept as `raw` (the line text when the reader has
 *   it, else the value serialised exactly as the rejects writer would) and the value goes.
 */
import type { Result } from './types.js';

export function waiting(res: Result): Result {
  const { record, outcome } = res;
  if (outcome.kind === 'reject') return res;
  if (outcome.kind === 'skip') return { record: { ...record, value: undefined, raw: undefined }, outcome };
  const raw = record.raw ?? (record.value === undefined ? undefined : JSON.stringify(record.value));
  return { record: { ...record, value: undefined, raw }, outcome };
}
