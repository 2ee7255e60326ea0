/**
 * THE import pipeline: reads every source (files, directories, globs, stdin; CSV or JSON;
 * gzip-transparent), pushes each record through the adapter's converter, finishes each
 * draft into a payload (finish.ts), and writes payload JSONL and rejects in input order.
 *
 * Every row read ends in exactly one outcome — complete, partial, skipped or rejected —
 * including rows the reader itself cannot parse; `read = complete + partial + skipped +
 * rejected` is checked at the end. Only aggregates are kept, so memory stays flat.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { isUtf8 } from 'node:buffer';
import { stat } from 'node:fs/promises';
import type { Catalog } from '../contract/catalog.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import { CsvHeaderError, readCsv } from '../read/csv.js';
import { formatFromHead, lineIssueFault, readRecordStream, SourceError, type RecordInfo, type Source } from '../read/records.js';
import { loadLocator } from '../read/locate.js';
import { fnv1a } from '../contract/random.js';
import type { FirstSeen } from '../validate/duplicates.js';
import { ImportIdIndex } from './id-index.js';
import { appliedFromMask, type Defaults, type Finished } from './finish.js';
import { conversionFailure, duplicateKeyReason, faultReason, finishSafely, rejectLine } from './rows.js';
import type { LineOutput } from './sink.js';
import { aggregateByColumns, aggregateByRecord, aggregateMessage, peekRecords } from './sniff.js';
import { jsonFormatFromName, modeFromName, modeFromText, openSource, PEEK_BYTES, readAhead, SourceOpenError, type InputMode, type OpenedSource } from './source.js';
import { Field, PAYLOAD, REASON, REJECT_LINE, recordsOf, SKIP, type BatchJob, type BatchResult, type BatchSetup } from './batch.js';
import type { LongLine, WorkerPool } from './parallel.js';
import { BatchIds } from './readers/batch-id.js';
import { ImportTally, type FileTally } from './import-summary.js';
import type { PriceBook } from '../prices/library.js';
import { CostLedger } from '../prices/ledger.js';
import type { Adapter, AdapterContext, Converter, Draft, Result, SourceRecord } from './types.js';
import { waiting } from './waiting.js';
import type { RunState } from './run-state.js';

/** The import cannot go on: usage or input problem (exit 2). */
class ImportStop extends OpsmeterError {
  constructor(message: string, hint?: string) {
    super(message, EXIT.usage, hint);
  }
}

export interface ImportOptions {
  adapter: Adapter;
  sources: readonly Source[];
  ctx: AdapterContext;
  catalog: Catalog;
  defaults: Defaults;
  hashSalt?: string;
  /** --provider: the provider of every payload, whatever the records say. */
  provider?: string;
  output: LineOutput;
  rejects?: LineOutput;
  /** Sources already opened (stdin after a sniff); others are opened here. */
  opened?: Map<Source, OpenedSource>;
  /** Called now and then with the rows read so far (the CLI draws a TTY progress line). */
  onProgress?: (rows: number, fileIndex: number, files: number) => void;
  /** Epoch ms for lint's age warnings (never affects the output), and the price time of rows without createdAt. */
  now?: number;
  /** Price every payload with this (the cost estimate); absent, the import prices nothing. */
  prices?: PriceBook;
  /** Rule settings for the lint gate (see FinishOptions.rules). */
  rules?: RulePolicy;
  /** One part of a run of several formats (run-groups.ts): its tally and duplicate-id index are the run's. */
  run?: RunState;
  /** Ids the duplicate-id index keeps in memory before it spills to a temp file (default ~367,000; tests force spilling). */
  idIndexEntries?: number;
  /**
   * Convert the JSONL files of an adapter whose records are independent in `threads` worker
   * threads when a file holds at least `minBytes` (decompressed): the output is the same
   * byte for byte (docs/import.md "Performance"). Absent: everything on this thread.
   */
  parallel?: { threads: number; minBytes: number };
}

/** A draft's token count as a batch row carries it (NaN: none). */
const tokens = (n: number): number | undefined => (Number.isNaN(n) ? undefined : n);

interface Rec extends SourceRecord {
  seq: number;
}

/** Reading mode of one source for this adapter. */
export function sourceMode(adapter: Adapter, source: Source, head: Buffer): InputMode {
  if (adapter.input !== 'json-or-csv') return adapter.input;
  return modeFromName(source.name) ?? modeFromText(head.subarray(0, 4096).toString('utf8'));
}

/** Refuse aggregate exports and headers the adapter cannot use, before any row is converted. */
function checkColumns(adapter: Adapter, ctx: AdapterContext, file: string, columns: readonly string[]): void {
  const agg = aggregateByColumns(columns);
  if (agg) throw new ImportStop(aggregateMessage(file, agg));
  const problem = adapter.checkHeader?.(columns, ctx);
  if (problem) throw new ImportStop(`${file}: ${problem}`);
}

/**
 * Check every CSV source's header before anything is written, so an aggregate export or a
 * wrong --map among many files stops the run before any output. Stdin stays open for the run.
 */
export async function openAllSources(adapter: Adapter, ctx: AdapterContext, sources: readonly Source[]): Promise<Map<Source, OpenedSource>> {
  const opened = new Map<Source, OpenedSource>();
  for (const s of sources) {
    const isStdin = s.path === '-';
    if (!isStdin && adapter.input === 'json') continue;
    if (!isStdin && adapter.input === 'json-or-csv' && modeFromName(s.name) === 'json') continue;
    const o = await openOrStop(s);
    const mode = sourceMode(adapter, s, o.head);
    if (mode === 'csv') {
      const problem = csvHeadProblem(o.head);
      if (problem) {
        o.close();
        throw new ImportStop(`${s.name} is not CSV text: line 1 ${problem}`, 'check the file (binary data, UTF-16, or the wrong file?)');
      }
      const peek = peekRecords(o.head.toString('utf8'), s.name, 'csv');
      if (peek.columns) checkColumns(adapter, ctx, s.name, peek.columns);
    }
    if (isStdin) opened.set(s, o);
    else o.close();
  }
  return opened;
}

/** Why the first line of a would-be CSV is not text, or undefined. */
function csvHeadProblem(head: Buffer): string | undefined {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return 'is UTF-16; save the file as UTF-8';
  const nl = head.indexOf(10);
  const first = nl === -1 ? head : head.subarray(0, nl);
  if (first.includes(0)) return 'contains NUL bytes (binary data)';
  // A head cut inside a multi-byte character is still text: only judge complete lines.
  if ((nl !== -1 || head.length < PEEK_BYTES) && !isUtf8(first)) return 'is not valid UTF-8';
  return undefined;
}

/** A source read as JSONL (by its name, or as the reader's sniff of its head decides), and not UTF-16. */
function isJsonl(source: Source, head: Buffer): boolean {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return false;
  return (jsonFormatFromName(source.name) ?? formatFromHead(head)) === 'jsonl';
}

/** The chunks without a UTF-8 byte order mark at the start (the line splitter drops it too). */
async function* withoutBom(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let first = true;
  for await (const c of chunks) {
    // The first chunk is the source's head: it has the first three bytes unless the input is shorter.
    if (first && c[0] === 0xef && c[1] === 0xbb && c[2] === 0xbf) yield c.subarray(3);
    else yield c;
    first = false;
  }
}

/** What the worker threads need to convert as this thread would (plain data: it is copied to them). */
function batchSetup(opts: ImportOptions): BatchSetup {
  const { ctx, catalog } = opts;
  return {
    adapter: opts.adapter.id,
    map: ctx.map,
    model: ctx.model,
    batchIds: ctx.batchIds && { format: ctx.batchIds.format, flag: ctx.batchIds.flag },
    catalog: { entries: catalog.list(), date: catalog.date, source: catalog.source },
    defaults: opts.defaults,
    hashSalt: opts.hashSalt,
    provider: opts.provider,
    now: opts.now ?? Date.now(),
    rules: opts.rules?.settings,
    rejects: opts.rejects !== undefined,
    crossFormat: opts.run !== undefined,
  };
}

export async function openOrStop(s: Source): Promise<OpenedSource> {
  try {
    return await openSource(s);
  } catch (e) {
    if (e instanceof SourceOpenError) throw new ImportStop(e.message);
    throw e;
  }
}

/**
 * header → a function turning a row's cells into an object. A literal with the header's keys
 * gives every row the same hidden class, which is much cheaper than adding keys one by one;
 * the keys are embedded with JSON.stringify, so any header text is safe.
 */
function rowBuilder(columns: readonly string[]): (cells: string[]) => Record<string, string> {
  const unique = new Set(columns).size === columns.length && !columns.includes('__proto__');
  if (!unique || columns.length > 500) {
    return (cells) => {
      const o: Record<string, string> = Object.create(null);
      for (let i = 0; i < columns.length; i++) o[columns[i]!] = cells[i]!;
      return o;
    };
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('c', `return {${columns.map((c, i) => `${JSON.stringify(c)}: c[${i}]`).join(', ')}};`) as (cells: string[]) => Record<string, string>;
}

export async function runImport(opts: ImportOptions): Promise<ImportTally> {
  const { adapter, output, rejects } = opts;
  const now = opts.now ?? Date.now();
  const tally = opts.run?.tally ?? new ImportTally(opts.prices ? new CostLedger(opts.prices, adapter.id, now) : undefined);
  tally.costs?.useFormat(adapter.id);
  const finishOpts = { format: adapter.id, catalog: opts.catalog, defaults: opts.defaults, hashSalt: opts.hashSalt, now, rules: opts.rules };
  const converter: Converter = adapter.create(opts.ctx);

  let seq = 0;
  let nextSeq = 0;
  const held = new Map<number, Result>();
  const abandoned = new Set<number>(); // records whose push() threw: already rejected

  // Every externalRequestId written so far (hashes only: bounded memory for millions of rows).
  // A repeat is a copy of a record already counted (Bedrock delivers each invocation to
  // CloudWatch and to S3), unless the two name different requests (requestKey), as the
  // OpenAI Batch guide's own example does with one batch_req_… id for two custom_ids.
  // Whether a record is a copy must be known before it is written: the index answers at once
  // in bounded memory (id-index.ts).
  const written = opts.run?.written ?? new ImportIdIndex({ maxEntries: opts.idIndexEntries });
  const finish = (draft: Draft): Finished => finishSafely(draft, finishOpts);
  /** The finished payload to write, or 'copy' when its id was already written. */
  const firstCopy = (draft: Draft, record: SourceRecord): Finished | 'copy' => {
    const fin = finish(draft);
    if (!fin.ok) return fin;
    const key = draft.requestKey === undefined ? 0 : fnv1a(draft.requestKey);
    const seen = written.add(fin.payload.externalRequestId!, key, 0, record.line);
    if (!seen) return opts.run?.copyFromAnotherFormat(draft.sourceId, draft.inputTokens, draft.outputTokens, record.line) ? 'copy' : fin;
    return repeated(seen, draft, key, record.line);
  };
  /** A draft whose id was already written: a copy, or another request under the same source id (scoped). */
  const repeated = (seen: FirstSeen, draft: Draft, key: number, line: number): Finished | 'copy' => {
    if (seen.sameContent || draft.requestKey === undefined) return 'copy';
    const scoped = finish({ ...draft, sourceId: `${draft.sourceId}#${draft.requestKey}` });
    if (!scoped.ok) return scoped;
    if (written.add(scoped.payload.externalRequestId!, key, 0, line)) return 'copy';
    tally.scopedIds++;
    return scoped;
  };

  const writeBytes = output.writeBytes ? (b: Buffer) => output.writeBytes!(b) : (b: Buffer) => output.write(b.toString('utf8'));

  const fileTallies = new Map<string, FileTally>();
  const countReject = (file: string, reason: string) => {
    tally.countReject(reason);
    const ft = fileTallies.get(file);
    if (ft) ft.rejected++;
  };
  const writeReject = (record: SourceRecord, reason: string) => {
    countReject(record.file, reason);
    if (rejects) rejects.write(rejectLine(record, reason, opts.hashSalt));
  };

  const handle = (res: Result) => {
    const { record, outcome } = res;
    switch (outcome.kind) {
      case 'payload': {
        const fin = firstCopy(opts.provider === undefined ? outcome.draft : { ...outcome.draft, provider: opts.provider }, record);
        if (fin === 'copy') tally.countSkip('duplicate_copy');
        else if (fin.ok) {
          tally.countPayload(fin.payload, fin.known, fin.applied);
          output.write(JSON.stringify(fin.payload) + '\n');
        } else writeReject(record, fin.reason);
        break;
      }
      case 'skip':
        tally.countSkip(outcome.reason);
        break;
      case 'reject':
        writeReject(record, outcome.reason);
        break;
      default:
        writeReject(record, `adapter returned an unknown outcome ${JSON.stringify((outcome as { kind?: unknown }).kind)}`);
    }
  };

  /** Results come back in any order (stateful adapters hold records); they are handled in input order. */
  const deliver = (res: Result) => {
    const s = (res.record as Partial<Rec>).seq;
    if (typeof s !== 'number' || s < nextSeq || held.has(s)) {
      if (typeof s === 'number' && abandoned.has(s)) return;
      throw new Error(`adapter ${adapter.id} returned a record it was not given, or returned one twice`);
    }
    if (s !== nextSeq) {
      held.set(s, waiting(res)); // without the source value (memory)
      return;
    }
    handle(res);
    nextSeq++;
    while (held.size > 0) {
      const r = held.get(nextSeq);
      if (!r) break;
      held.delete(nextSeq);
      handle(r);
      nextSeq++;
    }
  };

  const newRecord = (value: unknown, file: string, line: number, raw: string | undefined): Rec => {
    tally.read++;
    return { value, file, line, raw, seq: seq++ };
  };

  /** An outcome decided by the pipeline itself (unreadable, ragged or blank rows). */
  const settle = (rec: Rec, outcome: Result['outcome']) => deliver({ record: rec, outcome });

  const push = (rec: Rec) => {
    let results: Result[];
    try {
      results = converter.push(rec);
    } catch (e) {
      abandoned.add(rec.seq);
      return settle(rec, { kind: 'reject', reason: conversionFailure(adapter.id, e) });
    }
    for (const r of results) deliver(r);
  };

  let pool: WorkerPool | undefined; // started for the first file that is converted in threads
  let redrafter: Converter | undefined;

  /**
   * A record's draft again, on this thread: for the rare row a worker finished whose id
   * another request already had (see repeated). Its own batch counts, so that the line is
   * not counted twice in the batch-id notes.
   */
  const redraft = (record: SourceRecord): Draft => {
    const b = opts.ctx.batchIds;
    redrafter ??= adapter.create({ ...opts.ctx, batchIds: b && new BatchIds(b.format, b.flag) });
    const outcome = redrafter.push(record)[0]?.outcome;
    if (outcome?.kind !== 'payload') throw new Error(`adapter ${adapter.id} converted line ${record.line} of ${record.file} differently the second time`);
    return opts.provider === undefined ? outcome.draft : { ...outcome.draft, provider: opts.provider };
  };

  /** A line too long for any batch (parallel.ts): rejected as the line reader would. */
  const longLine = (file: string, line: number) =>
    settle(newRecord(undefined, file, line, undefined), { kind: 'reject', reason: faultReason(lineIssueFault('too-long', line)) });

  /**
   * A batch converted in a worker thread, applied in file order as handle() applies one
   * result: the duplicate-id check, the tally, the payload and reject lines. Payload lines
   * are written as the bytes the worker encoded, cut only around the rare repeated id.
   */
  const applyBatch = async (job: BatchJob, result: BatchResult, file: { source: Source; fileIndex: number; hadRecord: boolean; blankLines: number; size?: number }) => {
    const { rows, strings } = result;
    // A file's first batch tells how many ids the whole file will hold, about: room for them at once.
    if (job.linesBefore === 0 && file.size !== undefined && job.length > 0) written.reserve(written.count + Math.ceil((result.count * file.size) / job.length));
    const payloads = Buffer.from(result.payloads, 0, result.payloadBytes);
    const str = (i: number) => (i < 0 ? undefined : strings[i]!);
    // The file's first record refuses an aggregate export, after the rows before it (as below).
    const stop = !file.hadRecord && result.firstAggregate !== undefined ? result.firstRecordRow : -1;
    if (result.records > 0) file.hadRecord = true;
    const count = stop === -1 ? result.count : stop;
    let records: Map<number, SourceRecord> | undefined;
    let pos = 0; // where this row's payload line starts in payloads
    let from = 0; // payloads before this are written
    for (let i = 0; i < count; i++) {
      const o = i * Field.Size;
      tally.read++;
      const kind = rows[o + Field.Kind];
      const line = rows[o + Field.Line]!;
      if (kind === PAYLOAD) {
        const key = rows[o + Field.Key]!;
        const seen = written.addKey(rows[o + Field.IdA]!, rows[o + Field.IdB]!, key, 0, line);
        const length = rows[o + Field.TextLength]!;
        if (!seen && opts.run?.copyFromAnotherFormat(strings[rows[o + Field.SourceId]!]!, tokens(rows[o + Field.DraftInput]!), tokens(rows[o + Field.DraftOutput]!), line)) {
          // Another format of the run wrote this request (as handle() finds through firstCopy).
          if (pos > from) writeBytes(payloads.subarray(from, pos));
          pos += length;
          from = pos;
          tally.countSkip('duplicate_copy');
          continue;
        }
        if (!seen) {
          tally.countRow(
            strings[rows[o + Field.Provider]!]!,
            strings[rows[o + Field.Model]!]!,
            rows[o + Field.Known] === 1,
            appliedFromMask(rows[o + Field.Applied]!),
            str(rows[o + Field.PartialReason]!),
            rows[o + Field.Input]!,
            rows[o + Field.Output]!,
            rows[o + Field.CacheRead]!,
            rows[o + Field.CacheWrite]!,
            rows[o + Field.Reasoning]!,
            str(rows[o + Field.LoggedModel]!),
            Number.isNaN(rows[o + Field.CreatedAt]) ? undefined : rows[o + Field.CreatedAt],
          );
          pos += length;
          continue;
        }
        if (pos > from) writeBytes(payloads.subarray(from, pos));
        pos += length;
        from = pos;
        if (seen.sameContent || rows[o + Field.HasKey] === 0) {
          tally.countSkip('duplicate_copy');
          continue;
        }
        records ??= await recordsOf(result, file.source.name, job.linesBefore);
        const record = records.get(line)!;
        const fin = repeated(seen, redraft(record), key, line);
        if (fin === 'copy') tally.countSkip('duplicate_copy');
        else if (fin.ok) {
          tally.countPayload(fin.payload, fin.known, fin.applied);
          output.write(JSON.stringify(fin.payload) + '\n');
        } else writeReject(record, fin.reason);
      } else if (kind === SKIP) tally.countSkip(strings[rows[o + REASON]!]!);
      else {
        countReject(file.source.name, strings[rows[o + REASON]!]!);
        const rejectLine = rows[o + REJECT_LINE]!;
        if (rejects && rejectLine >= 0) rejects.write(strings[rejectLine]!);
      }
    }
    if (pos > from) writeBytes(payloads.subarray(from, pos));
    file.blankLines += result.blankLines;
    if (result.batchIds) opts.ctx.batchIds?.addCounts(result.batchIds);
    if (stop !== -1) throw new ImportStop(result.firstAggregate!);
    if (opts.onProgress && Date.now() - lastProgress > 250) {
      lastProgress = Date.now();
      opts.onProgress(tally.read, file.fileIndex, opts.sources.length);
    }
    if (output.needsDrain) await output.drain();
    if (rejects?.needsDrain) await rejects.drain();
  };

  let lastProgress = Date.now();
  const afterRecord = (fileIndex: number): void | Promise<void> => {
    if ((tally.read & 1023) === 0 && opts.onProgress) {
      const now = Date.now();
      if (now - lastProgress > 250) {
        lastProgress = now;
        opts.onProgress(tally.read, fileIndex, opts.sources.length);
      }
    }
    if (output.needsDrain) return output.drain();
    if (rejects?.needsDrain) return rejects.drain();
  };

  /** The parts of a container record (Adapter.unpack), each a record of its own at its own line. */
  const readParts = async (r: RecordInfo, parts: readonly { value: unknown; pointer: string }[], file: string, fileIndex: number): Promise<void> => {
    await loadLocator();
    for (const part of parts) {
      push(newRecord(part.value, file, r.locate(part.pointer, 'value').line, undefined));
      await afterRecord(fileIndex);
    }
  };

  try {
    for (let fileIndex = 0; fileIndex < opts.sources.length; fileIndex++) {
      const source = opts.sources[fileIndex]!;
      const opened = opts.opened?.get(source) ?? (await openOrStop(source));
      const mode = sourceMode(adapter, source, opened.head);
      const fileTally: FileTally = { file: source.name, format: adapter.id, mode, gzip: opened.gzip, rows: 0, rejected: 0, blankLines: 0 };
      tally.files.push(fileTally);
      fileTallies.set(source.name, fileTally);
      const readBefore = tally.read;
      let linesRead = 0;
      try {
        if (mode === 'csv') {
          let columns: string[] = [];
          let toObject: (cells: string[]) => Record<string, string> = () => ({});
          const stats = await readCsv(opened.chunks, {
            header(cols) {
              columns = cols.map((c) => c.trim());
              checkColumns(adapter, opts.ctx, source.name, columns);
              toObject = rowBuilder(columns);
            },
            row(cells, line, raw) {
              const rec = newRecord(undefined, source.name, line, raw);
              if (cells.length !== columns.length) {
                settle(rec, { kind: 'reject', reason: `row has ${cells.length} cells, the header has ${columns.length}` });
              } else if (cells.every((c) => c === '')) {
                settle(rec, { kind: 'skip', reason: 'blank' });
              } else {
                rec.value = toObject(cells);
                push(rec);
              }
              return afterRecord(fileIndex);
            },
            fault(line, message, raw) {
              settle(newRecord(undefined, source.name, line, raw), { kind: 'reject', reason: message });
            },
          });
          fileTally.blankLines = stats.blankLines;
          linesRead = stats.lines;
          if (columns.length > 0 && stats.rows === 0 && stats.faults === 0) fileTally.headerOnly = true;
        } else {
          // In a run of several formats too: the rows come back with their source ids (BatchSetup.crossFormat).
          const parallel = opts.parallel && adapter.independent && !adapter.unpack && isJsonl(source, opened.head) ? opts.parallel : undefined;
          // A plain file's size says whether it is large; stdin, a pipe and a gzip file's content are read ahead to tell.
          const info = parallel && !opened.gzip && source.path !== '-' ? await stat(source.path) : undefined;
          const plainFile = info?.isFile() === true;
          const large = plainFile && info.size >= parallel!.minBytes;
          const ahead = parallel && !plainFile ? await readAhead(opened.chunks, parallel.minBytes) : undefined;
          if (parallel && (large || ahead?.reachedMinimum)) {
            const { WorkerPool, convertInPool, fileBytes } = await import('./parallel.js');
            pool ??= new WorkerPool(batchSetup(opts), parallel.threads);
            const file = { source, fileIndex, hadRecord: false, blankLines: 0, size: info?.size };
            const apply = (item: LongLine | { job: BatchJob; result: BatchResult }) =>
              'longLine' in item ? longLine(source.name, item.longLine) : applyBatch(item.job, item.result, file);
            if (ahead) linesRead = await convertInPool(pool, withoutBom(ahead.chunks), source.name, apply);
            else {
              // Read again from its start, straight into the batches' buffers (the peek's stream is left unread).
              const bytes = await fileBytes(source.path);
              try {
                linesRead = await convertInPool(pool, bytes, source.name, apply);
              } finally {
                await bytes.close();
              }
            }
            fileTally.blankLines = file.blankLines;
          } else {
            let first = true;
            let duplicateKeyRecord = -1;
            let duplicateKeyMessage = '';
            const stats = await readRecordStream(ahead?.chunks ?? opened.chunks, jsonFormatFromName(source.name), {
              record(r) {
                if (first) {
                  first = false;
                  const agg = aggregateByRecord(r.value);
                  if (agg) throw new ImportStop(aggregateMessage(source.name, agg));
                }
                const parts = r.index === duplicateKeyRecord ? undefined : adapter.unpack?.(r.value);
                if (parts) return readParts(r, parts, source.name, fileIndex);
                const rec = newRecord(r.value, source.name, r.line, r.raw);
                if (r.index === duplicateKeyRecord) settle(rec, { kind: 'reject', reason: duplicateKeyMessage });
                else push(rec);
                return afterRecord(fileIndex);
              },
              fault(f) {
                if (f.fault === 'duplicate-key') {
                  // The record follows with the last value winning; reject it rather than guess.
                  duplicateKeyRecord = f.recordIndex ?? -1;
                  duplicateKeyMessage = duplicateKeyReason(f);
                  return;
                }
                settle(newRecord(undefined, source.name, f.line, f.text), { kind: 'reject', reason: faultReason(f) });
              },
            }, adapter.arrayMember === undefined ? undefined : { arrayMember: adapter.arrayMember });
            fileTally.blankLines = stats.blankLines;
            linesRead = stats.lines;
          }
        }
        const damage = opened.damage();
        if (damage) {
          // Every record that decompressed was read above; the damage itself is one reject, so the run exits 1.
          const rec = newRecord(undefined, source.name, linesRead + 1, undefined);
          settle(rec, { kind: 'reject', reason: `damaged gzip file: ${damage} (the ${linesRead} lines before it were read)` });
        }
      } catch (e) {
        if (e instanceof ImportStop) throw e;
        if (e instanceof CsvHeaderError)
          throw new ImportStop(`${source.name} is not CSV text: ${e.message}`, 'check the file (binary data, UTF-16, or the wrong file?)');
        if (e instanceof SourceError) throw new ImportStop(`${source.name}: ${e.message}`);
        if (typeof (e as NodeJS.ErrnoException)?.code === 'string') {
          throw new ImportStop(`cannot read ${source.name}: ${(e as Error).message}`);
        } else throw e;
      } finally {
        opened.close();
      }
      fileTally.rows = tally.read - readBefore;
      tally.blankLines += fileTally.blankLines;
    }
  } finally {
    await pool?.close();
  }

  let tail: Result[];
  try {
    tail = converter.finish();
  } catch (e) {
    throw new Error(`adapter ${adapter.id} failed to finish: ${(e as Error).message}`);
  }
  for (const r of tail) deliver(r);
  tally.adapterNotes.push(...(converter.notes?.() ?? []));
  if (held.size > 0 || nextSeq < seq) {
    throw new Error(`adapter ${adapter.id} did not return every record (${seq - nextSeq} outstanding)`);
  }
  if (tally.read !== tally.accounted) {
    throw new Error(`import invariant broken: ${tally.read} read but ${tally.accounted} accounted for`);
  }
  if (!opts.run) written.close(); // its temp file (a run's index is closed by run-groups.ts)
  return tally;
}
