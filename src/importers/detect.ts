/**
 * `--from auto`: the one entry point that decides which adapter reads the given sources.
 * Every source is looked at on its own: its aggregate-only exports are refused (sniff.ts),
 * then the first records of its head (up to PEEK_RECORDS: a stream can open with records of
 * no telling shape, such as Azure's filter-only chunk) are offered to every adapter's sniff
 * until one record is claimed; exactly one adapter must claim it. Files of several formats
 * make several groups, each read with its own format in one run (run-groups.ts). A file whose
 * format cannot be told, or an aggregate export, is left out with its reason while the other
 * files are imported (the run then exits 1); when no file can be imported, the import stops,
 * naming them (nothing is guessed).
 * Stdin can be read only once, so an opened stdin is handed back for the run to continue from.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import type { Source } from '../read/records.js';
import { ADAPTERS, formatIds } from './adapters/index.js';
import { openOrStop, sourceMode } from './read-source.js';
import { aggregateByColumns, aggregateByRecord, aggregateMessage, notImportable, peekRecords, sniffCandidates } from './sniff.js';
import type { OpenedSource } from './source.js';
import { HEADER_ONLY, type LeftOutFile } from './import-summary.js';
import type { Adapter, SourceRecord } from './types.js';

export interface Detection {
  /** Each format found, in the order of its first file, with its files in input order. */
  groups: { adapter: Adapter; sources: Source[] }[];
  /**
   * Why, for the stderr notice and the summary ("spend.csv looks like …"); for several formats,
   * which format has how many files ("2 formats: codex (2 files), …").
   */
  reason: string;
  /** The first source, when it is stdin and was opened to look at it. */
  openedStdin?: OpenedSource;
  /** Files left out, with why (the others are imported). */
  leftOut: LeftOutFile[];
}

type FileVerdict = { adapter: Adapter; headerOnly: boolean } | { problem: string; aggregate?: true };

const HINT = () => `name it with --from (${formatIds().join(', ')}); for other files use --from csv or --from jsonl with --map`;

/** What one source is: a format, or why it is none (an aggregate export among them). */
function judge(name: string, head: Buffer, mode: 'csv' | 'json'): FileVerdict {
  const peek = peekRecords(head.toString('utf8'), name, mode);
  const agg = peek.columns ? aggregateByColumns(peek.columns) : peek.first ? aggregateByRecord(peek.first.value) : undefined;
  if (agg) return { problem: aggregateMessage(name, agg), aggregate: true };
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

/**
 * The format one file looks like, or undefined when it cannot be told (or it is stdin, which
 * can be read only once). For `--from X` runs whose files had every row rejected: the summary
 * names the format those files are instead.
 */
export async function formatOfFile(source: Source): Promise<Adapter | undefined> {
  if (source.path === '-') return undefined;
  const o = await openOrStop(source);
  try {
    const verdict = judge(source.name, o.head, sourceMode({ input: 'json-or-csv' } as Adapter, source, o.head));
    return 'adapter' in verdict ? verdict.adapter : undefined;
  } finally {
    o.close();
  }
}

/** A problem's words after the file name it starts with ("is an OpenAI costs export: …"): the summary puts the name before them. */
function withoutName(problem: string, name: string): string {
  return problem.startsWith(`${name} `) ? problem.slice(name.length + 1) : problem;
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
  const problems = verdicts.flatMap(({ source, verdict }) => ('problem' in verdict ? [{ source, ...verdict }] : []));
  const byFormat = new Map<string, { adapter: Adapter; sources: Source[]; headerOnly: Source[] }>();
  for (const { source, verdict } of verdicts) {
    if ('problem' in verdict) continue;
    let g = byFormat.get(verdict.adapter.id);
    if (!g) byFormat.set(verdict.adapter.id, (g = { adapter: verdict.adapter, sources: [], headerOnly: [] }));
    g.sources.push(source);
    if (verdict.headerOnly) g.headerOnly.push(source);
  }
  const list = (files: Source[]) => (files.length <= 3 ? files.map((f) => f.name).join(', ') : `${files.slice(0, 3).map((f) => f.name).join(', ')} and ${files.length - 3} more`);
  if (byFormat.size === 0) {
    // Nothing to import: an aggregate export is refused with its own message, as with --from.
    const aggregate = problems.find((p) => p.aggregate);
    if (aggregate) throw new OpsmeterError(aggregate.problem, EXIT.usage);
    if (problems.length === 1) throw new OpsmeterError(`--from auto: ${problems[0]!.problem}`, EXIT.usage, HINT());
    const lines = problems.slice(0, 5).map((p) => p.problem);
    if (problems.length > 5) lines.push(`… and ${problems.length - 5} more files whose format cannot be told`);
    throw new OpsmeterError(
      `--from auto: the format of ${problems.length} inputs cannot be told, so nothing was imported:\n  ${lines.join('\n  ')}`,
      EXIT.usage,
      `name the format with --from (${formatIds().join(', ')})`,
    );
  }
  // Files of known formats are imported; the others are left out, each named with why (the run exits 1).
  const leftOut: LeftOutFile[] = problems.map((p) => ({ file: p.source.name, kind: p.aggregate ? 'aggregate' : 'unknown', reason: withoutName(p.problem, p.source.name) }));
  const groups = [...byFormat.values()];
  let reason: string;
  if (groups.length === 1) {
    const g = groups[0]!;
    const many = g.sources.length > 1 ? `${g.sources.length} files (${g.sources[0]!.name}, …) look` : `${g.sources[0]!.name} looks`;
    const n = g.headerOnly.length;
    const header = n > 0 ? `; ${g.sources.length === 1 ? 'it has' : n === 1 ? `${g.headerOnly[0]!.name} has` : `${n} have`} ${HEADER_ONLY}` : '';
    reason = `${many} like ${g.adapter.description}${header}`;
  } else {
    // A header-only file reads 0 rows and would pass unremarked among the others: name it.
    const empty = groups.flatMap((g) => g.headerOnly);
    const header = empty.length > 0 ? `; ${list(empty)} ${empty.length === 1 ? 'has' : 'have'} ${HEADER_ONLY}` : '';
    const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;
    reason = `${groups.length} formats: ${groups.map((g) => `${g.adapter.id} (${files(g.sources.length)})`).join(', ')}; each file is read as its own format${header}`;
  }
  if (leftOut.length > 0) reason += `; ${leftOut.length === 1 ? '1 file is' : `${leftOut.length} files are`} left out (named in the summary)`;
  const detection: Detection = { groups: groups.map((g) => ({ adapter: g.adapter, sources: g.sources })), reason, leftOut };
  if (openedStdin) detection.openedStdin = openedStdin;
  return detection;
}
