/**
 * Feeds fixture records through an adapter the way the import pipeline does (push each
 * record, then finish) and checks the contract's invariant: every pushed record comes back
 * exactly once. Records are read with the shared reader (BOM, CRLF, blank lines handled).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { readRecords } from '../../../src/read/records.js';
import type { Adapter, RecordOutcome, Result, SourceRecord } from '../../../src/importers/types.js';
import { ROOT } from '../../helpers/cli.js';

export async function loadRecords(path: string): Promise<SourceRecord[]> {
  const file = relative(ROOT, path);
  let readPath = path;
  let tmp: string | undefined;
  if (path.endsWith('.gz')) {
    tmp = mkdtempSync(join(tmpdir(), 'opsmeter-fixture-'));
    readPath = join(tmp, 'records');
    writeFileSync(readPath, gunzipSync(readFileSync(path)));
  }
  const out: SourceRecord[] = [];
  const faults: string[] = [];
  try {
    await readRecords(
      { name: file, path: readPath },
      {
        record: (r) => void out.push({ value: r.value, file, line: r.line }),
        fault: (f) => void faults.push(`${file}:${f.line}: ${f.message}`),
      },
    );
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  expect(faults).toEqual([]);
  return out;
}

/** RecordOutcome per source position, in the order the adapter released them. */
export type Outcomes = Array<[string, RecordOutcome]>;

export function runAdapter(adapter: Adapter, records: SourceRecord[]): { results: Result[]; byPosition: Map<string, RecordOutcome> } {
  const converter = adapter.create({ map: {} });
  const results: Result[] = [];
  for (const r of records) results.push(...converter.push(r));
  results.push(...converter.finish());
  const pushed = records.map(position);
  const returned = results.map((r) => position(r.record));
  // Every record pushed comes back exactly once.
  expect([...returned].sort()).toEqual([...pushed].sort());
  expect(new Set(returned).size).toBe(returned.length);
  return { results, byPosition: new Map(results.map((r) => [position(r.record), r.outcome])) };
}

export function position(r: SourceRecord): string {
  return `${r.file.split('/').pop()}:${r.line}`;
}

/** Everything an adapter emitted, serialised, must not contain any of these texts. */
export function expectNoContent(results: Result[], texts: string[]): void {
  expect(texts.length, 'the fixture has content to look for').toBeGreaterThan(0);
  const serialised = JSON.stringify(results.map((r) => r.outcome));
  for (const t of texts) expect(serialised, `outcomes contain source content: ${t}`).not.toContain(t);
}

/** Every string value found at a key named like prompt/completion content in the records. */
export function contentTexts(records: SourceRecord[]): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (CONTENT_KEYS.has(key) && v.length >= 8) out.add(v);
      return;
    }
    if (Array.isArray(v)) v.forEach((x) => walk(x, key));
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  for (const r of records) walk(r.value, '');
  return [...out];
}

const CONTENT_KEYS = new Set(['content', 'text', 'message', 'summary', 'command', 'cwd', 'gitBranch', 'arn', 'instructions']);

export const payload = (draft: Extract<RecordOutcome, { kind: 'payload' }>['draft']): RecordOutcome => ({ kind: 'payload', draft });
export const skipped = (reason: Extract<RecordOutcome, { kind: 'skip' }>['reason']): RecordOutcome => ({ kind: 'skip', reason });
export const rejected = (reason: string): RecordOutcome => ({ kind: 'reject', reason });

/**
 * The records the pipeline makes of loaded records: a container's parts (Adapter.unpack), each
 * a record at the container's line (a JSONL container is one line; the CLI tests check lines
 * in pretty-printed documents).
 */
export function unpackRecords(adapter: Adapter, records: SourceRecord[]): SourceRecord[] {
  return records.flatMap((r) => adapter.unpack?.(r.value)?.map((p) => ({ value: p.value, file: r.file, line: r.line })) ?? [r]);
}

/**
 * runAdapter for records that may share a line (a container's parts): each record is told
 * apart by its place in the input (kept through the copies a converter may make of it), and
 * the results come back in input order.
 */
export function runAdapterInOrder(adapter: Adapter, records: SourceRecord[]): Result[] {
  const tagged = records.map((r, seq) => ({ ...r, seq }));
  const converter = adapter.create({ map: {} });
  const results: Result[] = [];
  for (const r of tagged) results.push(...converter.push(r));
  results.push(...converter.finish());
  const seqs = results.map((r) => (r.record as SourceRecord & { seq: number }).seq);
  expect([...seqs].sort((a, b) => a - b)).toEqual(tagged.map((r) => r.seq));
  return results.sort((a, b) => (a.record as SourceRecord & { seq: number }).seq - (b.record as SourceRecord & { seq: number }).seq);
}
