/**
 * `--from auto`: the one entry point that decides which adapter reads the given sources.
 * Every source is looked at on its own: its aggregate-only exports are refused (sniff.ts),
 * then the first records of its head (up to PEEK_RECORDS: a stream can open with records of
 * no telling shape, such as Azure's filter-only chunk) are offered to every adapter's sniff
 * until one record is claimed; exactly one adapter must claim it. All sources must come out
 * the same format — a folder of several formats is refused, naming the format of each file.
 * Stdin can be read only once, so an opened stdin is handed back for the run to continue from.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import type { Source } from '../read/records.js';
import { ADAPTERS, formatIds } from './adapters/index.js';
import { openOrStop, sourceMode } from './run.js';
import { aggregateByColumns, aggregateByRecord, aggregateMessage, notImportable, peekRecords, sniffCandidates } from './sniff.js';
import type { OpenedSource } from './source.js';
import type { Adapter, SourceRecord } from './types.js';

export interface Detection {
  adapter: Adapter;
  /** Why, for the stderr notice and the summary ("spend.csv looks like …"). */
  reason: string;
  /** The first source, when it is stdin and was opened to look at it. */
  openedStdin?: OpenedSource;
}

type FileVerdict = { adapter: Adapter; headerOnly: boolean } | { problem: string };

const HINT = () => `name it with --from (${formatIds().join(', ')}); for other files use --from csv or --from jsonl with --map`;

/** What one source is. Aggregate exports stop the import here (whatever else is given). */
function judge(name: string, head: Buffer, mode: 'csv' | 'json'): FileVerdict {
  const peek = peekRecords(head.toString('utf8'), name, mode);
  const agg = peek.columns ? aggregateByColumns(peek.columns) : peek.first ? aggregateByRecord(peek.first.value) : undefined;
  if (agg) throw new OpsmeterError(aggregateMessage(name, agg), EXIT.usage);
  if (peek.records.length === 0) {
    if (peek.columns && peek.columns.length > 0) {
      // A header with no rows: the header alone tells the export.
      const header: SourceRecord = { value: Object.fromEntries(peek.columns.map((c) => [c.trim(), ''])), file: name, line: 1 };
      const byHeader = sniffCandidates(header, mode, ADAPTERS);
      if (byHeader.length === 1) return { adapter: byHeader[0]!, headerOnly: true };
      return { problem: `${name} has only a header row (${peek.columns.length} columns) that matches none of the known formats, and no rows` };
    }
    return { problem: `${name} has no record to recognise the format from` };
  }
  for (const record of peek.records) {
    const candidates = sniffCandidates(record, mode, ADAPTERS);
    if (candidates.length === 1) return { adapter: candidates[0]!, headerOnly: false };
    if (candidates.length > 1) return { problem: `${name} matches more than one format: ${candidates.map((c) => c.id).join(', ')}` };
  }
  // No record is any format's: say what the file is when it is recognisable.
  const unusable = notImportable(peek.records[0]!.value);
  if (unusable) return { problem: `${name} is ${unusable}` };
  const looked = peek.records.length > 1 ? ` (looked at its first ${peek.records.length} records)` : '';
  return { problem: `${name} (${mode.toUpperCase()}) matches none of the known formats${looked}` };
}

/** Which adapter reads `sources` (non-empty). Throws an OpsmeterError (exit 2) naming why none or several fit. */
export async function detect(sources: readonly Source[]): Promise<Detection> {
  const first = sources[0];
  if (!first) throw new OpsmeterError('--from auto: nothing to look at', EXIT.usage);
  const verdicts: { source: Source; verdict: FileVerdict }[] = [];
  let openedStdin: OpenedSource | undefined;
  for (const source of sources) {
    const o = await openOrStop(source);
    const isStdin = source.path === '-';
    try {
      const mode = sourceMode({ input: 'json-or-csv' } as Adapter, source, o.head);
      verdicts.push({ source, verdict: judge(source.name, o.head, mode) });
    } finally {
      if (isStdin) openedStdin = o;
      else o.close();
    }
  }
  const problems = verdicts.flatMap((v) => ('problem' in v.verdict ? [v.verdict.problem] : []));
  const byFormat = new Map<string, { adapter: Adapter; files: string[]; headerOnly: number }>();
  for (const { source, verdict } of verdicts) {
    if ('problem' in verdict) continue;
    let g = byFormat.get(verdict.adapter.id);
    if (!g) byFormat.set(verdict.adapter.id, (g = { adapter: verdict.adapter, files: [], headerOnly: 0 }));
    g.files.push(source.name);
    if (verdict.headerOnly) g.headerOnly++;
  }
  if (problems.length > 0 && byFormat.size === 0 && problems.length === 1) {
    throw new OpsmeterError(`--from auto: ${problems[0]}`, EXIT.usage, HINT());
  }
  if (problems.length > 0 || byFormat.size > 1) {
    const list = (files: string[]) => (files.length <= 3 ? files.join(', ') : `${files.slice(0, 3).join(', ')} and ${files.length - 3} more`);
    const lines = [...byFormat.values()].map((g) => `${g.adapter.id}: ${list(g.files)}`);
    for (const p of problems.slice(0, 5)) lines.push(p);
    if (problems.length > 5) lines.push(`… and ${problems.length - 5} more files that match no format`);
    const what = byFormat.size > 1 ? `the inputs hold ${byFormat.size} formats` : `not every input is ${[...byFormat.keys()][0] ?? 'one known format'}`;
    throw new OpsmeterError(
      `--from auto: ${what}, and one import reads one format:\n  ${lines.join('\n  ')}`,
      EXIT.usage,
      `import each format on its own with --from FORMAT and its files (${formatIds().join(', ')})`,
    );
  }
  const [group] = [...byFormat.values()];
  const g = group!;
  const many = g.files.length > 1 ? `${g.files.length} files (${first.name}, …) look` : `${first.name} looks`;
  const header = g.headerOnly > 0 ? `; ${g.headerOnly === g.files.length && g.files.length === 1 ? 'it has' : `${g.headerOnly} have`} only a header row, no rows to import` : '';
  const detection: Detection = { adapter: g.adapter, reason: `${many} like ${g.adapter.description}${header}` };
  if (openedStdin) detection.openedStdin = openedStdin;
  return detection;
}
