/**
 * The two producers of validate rows (src/validate/row.ts) make the same rows from the same
 * lines: the main thread's reader (read-rows.ts) and a worker's batch checker (batch.ts, run
 * here in process), its rows through the codec. Generated payloads of every shape, bad lines
 * among them, with and without rule settings. A position the batch checker found is the one
 * the main thread would find from the record.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LintContext } from '../../src/contract/lint.js';
import { RulePolicy, type RuleSettings } from '../../src/contract/rule-settings.js';
import type { RuleInfo } from '../../src/contract/rules.js';
import { loadLocator, type Position } from '../../src/read/locate.js';
import type { Source } from '../../src/read/records.js';
import { BatchChecker } from '../../src/validate/batch.js';
import { readRows } from '../../src/validate/read-rows.js';
import { RowDecoder } from '../../src/validate/row-codec.js';
import { RecordChecker, type Row, type RowApplier } from '../../src/validate/row.js';
import { payloadArb } from '../helpers/arbitraries.js';
import { NOW, lintCtx } from '../helpers/payloads.js';

let dir: string;
let source: Source;
let bytes: Buffer;
let lines: number;

beforeAll(async () => {
  await loadLocator();
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-rows-'));
  const payloads = fc.sample(payloadArb, { seed: 20, numRuns: 600 });
  const text: string[] = [];
  payloads.forEach((p, i) => {
    text.push(JSON.stringify(p));
    if (i % 50 === 7) text.push('{"externalRequestId": "cut", ');
    if (i % 60 === 11) text.push('{"model":"a","model":"b"}');
    if (i % 70 === 13) text.push('');
    if (i % 40 === 17) text.push(JSON.stringify(payloads[i - 1])); // an id again
  });
  bytes = Buffer.from(text.join('\n') + '\n');
  lines = text.length;
  source = { name: 'rows.jsonl', path: join(dir, 'rows.jsonl'), format: 'jsonl' };
  writeFileSync(source.path, bytes);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Snapshot {
  kind: string;
  line: number;
  data: unknown;
  /** Each finding's position: found with the row, or (main thread) from its record. */
  positions?: (Position | undefined)[];
}

/** An applier that keeps what each row says; `locate`: the position of a finding not found yet, from the record. */
function collector(locate: boolean): RowApplier & { rows: Snapshot[] } {
  const rows: Snapshot[] = [];
  const apply = (row: Row): undefined => {
    if (row.kind === 'fault') rows.push({ kind: 'fault', line: row.fault.line, data: row.fault });
    else {
      const { line, pointer, hasId, idA, idB, fingerprint } = row;
      const findings = row.findings.map(({ at: _, ...f }) => f);
      const positions = row.findings.map((f) => {
        if (f.at !== undefined || !locate) return f.at;
        const r = row.record();
        return r instanceof Promise ? undefined : r.locate(f.pointer, f.target);
      });
      rows.push({ kind: 'record', line, data: { pointer, findings, hasId, idA, idB, fingerprint }, positions });
    }
    return undefined;
  };
  return { rows, apply } as RowApplier & { rows: Snapshot[] };
}

async function mainThreadRows(ctx: LintContext, locate: boolean): Promise<Snapshot[]> {
  const run = collector(locate);
  await readRows(source, new RecordChecker(ctx, true), run);
  return run.rows;
}

/** A worker's rows, decoded with the settings of the main thread's run (`rules`), as validate does. */
async function batchRows(rules: RulePolicy | undefined, room: number): Promise<Snapshot[]> {
  const { catalog } = lintCtx();
  const checker = new BatchChecker({ catalog: { entries: catalog.list(), date: catalog.date, source: catalog.source }, now: NOW, rules: rules?.settings, errorsOnly: false, duplicates: true, excerpts: true });
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  const result = await checker.check({ bytes: buffer, length: bytes.length, file: source.name, linesBefore: 0, lines, errorRoom: room, warningRoom: room });
  const run = collector(false);
  const decoder = new RowDecoder(result.rows, { rules, record: () => Promise.reject(new Error('not read again here')) });
  for (let row = decoder.next(); row !== undefined; row = decoder.next()) run.apply(row);
  return run.rows;
}

describe('validate rows', () => {
  it('the main thread and a worker make the same rows; positions found in the worker are the records own', async () => {
    const main = await mainThreadRows(lintCtx(), true);
    expect(main.filter((r) => r.kind === 'fault').length).toBeGreaterThan(10);
    expect(main.filter((r) => r.kind === 'record' && (r.data as { findings: unknown[] }).findings.length > 0).length).toBeGreaterThan(100);
    expect(await batchRows(undefined, Infinity)).toEqual(main);
  });

  it('without room in the report, a worker finds no positions, and its rows are otherwise the same', async () => {
    const main = await mainThreadRows(lintCtx(), false);
    const rows = await batchRows(undefined, 0);
    expect(rows.every((r) => r.positions === undefined || r.positions.every((p) => p === undefined))).toBe(true);
    expect(rows).toEqual(main);
  });

  it('with rule settings, the findings carry the same rules as configured', async () => {
    const settings: RuleSettings = { 'payload/missing-latency': 'error', 'catalog/unknown-model': 'off', 'payload/type': 'warning' };
    const policy = new RulePolicy(settings);
    const main = await mainThreadRows({ ...lintCtx(), rules: policy }, true);
    const rows = await batchRows(policy, Infinity);
    expect(rows).toEqual(main);
    const rules = (s: Snapshot[]) => s.flatMap((r) => (r.kind === 'record' ? (r.data as { findings: { rule: RuleInfo }[] }).findings.map((f) => f.rule) : []));
    expect(rules(rows).some((r) => r.id === 'payload/missing-latency' && r.severity === 'error')).toBe(true);
    expect(rules(rows).some((r) => r.id === 'catalog/unknown-model')).toBe(false);
    const mainRules = rules(main);
    expect(rules(rows).filter((r, i) => r !== mainRules[i])).toEqual([]);
  });
});
