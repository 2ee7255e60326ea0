/**
 * Results waiting behind a record a stateful adapter holds must not keep their source values:
 * claude-code holds every distinct response until finish(), so everything read after the
 * first one waits, and with the parsed lines attached memory grows with the transcripts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { runImport } from '../../src/importers/run.js';
import { LineSink } from '../../src/importers/sink.js';
import type { Adapter, RecordOutcome, Result, SourceRecord } from '../../src/importers/types.js';
import { waiting } from '../../src/importers/waiting.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-waiting-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rec = (value: unknown, raw?: string): SourceRecord => ({ value, file: 'f.jsonl', line: 3, raw });

describe('waiting()', () => {
  it('drops value and raw from a skip', () => {
    const r = waiting({ record: { ...rec({ big: 'x' }, '{"big":"x"}'), seq: 7 } as SourceRecord, outcome: { kind: 'skip', reason: 'not_a_request' } });
    expect(r.record).toEqual({ file: 'f.jsonl', line: 3, seq: 7, value: undefined, raw: undefined });
    expect(r.outcome).toEqual({ kind: 'skip', reason: 'not_a_request' });
  });
  it('keeps a payload’s text for a rejects line, never the parsed value', () => {
    const outcome: RecordOutcome = { kind: 'payload', draft: { sourceId: 's', provider: 'p', model: 'm', status: 'success', inputTokens: 1, outputTokens: 1 } };
    expect(waiting({ record: rec({ a: 1 }, '{"a": 1}'), outcome }).record).toMatchObject({ value: undefined, raw: '{"a": 1}' });
    expect(waiting({ record: rec({ a: 1 }), outcome }).record).toMatchObject({ value: undefined, raw: '{"a":1}' });
    expect(waiting({ record: rec(undefined), outcome }).record).toMatchObject({ value: undefined, raw: undefined });
    expect(waiting({ record: rec({ a: 1 }), outcome }).outcome).toBe(outcome);
  });
  it('keeps a reject whole (--rejects writes its row)', () => {
    const res: Result = { record: rec({ a: 1 }, '{"a":1}'), outcome: { kind: 'reject', reason: 'bad' } };
    expect(waiting(res)).toBe(res);
  });
});

/**
 * A stateful fake: holds the first record until finish(), answers every other one at once with
 * `later` (so they all wait behind the first), and at finish() reports which of the waiting
 * records' parsed values the garbage collector could free. Only records of the first file are
 * tracked: a WeakRef keeps its target alive until the current job's microtasks are done, and
 * reading the second file (a later I/O callback) guarantees that point has passed.
 */
function holdingAdapter(later: (r: SourceRecord) => RecordOutcome) {
  const refs: WeakRef<object>[] = [];
  let alive = -1;
  const adapter: Adapter = {
    id: 'jsonl',
    description: 'test',
    input: 'json',
    create: () => {
      let first: SourceRecord | undefined;
      return {
        push(record) {
          if (!first) {
            first = record;
            return [];
          }
          if (record.file === 'a.jsonl') refs.push(new WeakRef(record.value as object));
          return [{ record, outcome: later(record) }];
        },
        finish() {
          gc();
          alive = refs.filter((r) => r.deref() !== undefined).length;
          const out: Result[] = [{ record: first!, outcome: later(first!) }];
          first = undefined;
          return out;
        },
      };
    },
  };
  return { adapter, waitingCount: () => refs.length, aliveAtFinish: () => alive };
}

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { sink: new LineSink(stream, 'mem'), text: () => text };
}

/** `lines` in a.jsonl, then one more line in b.jsonl. */
async function run(adapter: Adapter, lines: string[]) {
  const id = Math.random().toString(36).slice(2);
  const a = join(dir, `a-${id}.jsonl`);
  const b = join(dir, `b-${id}.jsonl`);
  writeFileSync(a, lines.join('\n') + '\n');
  writeFileSync(b, JSON.stringify({ i: 999, content: 'last' }) + '\n');
  const out = sink();
  const rejects = sink();
  const tally = await runImport({
    adapter,
    sources: [
      { name: 'a.jsonl', path: a },
      { name: 'b.jsonl', path: b },
    ],
    ctx: { map: {} },
    catalog: builtinCatalog(),
    defaults: { dataMode: 'test', environment: 'staging' },
    output: out.sink,
    rejects: rejects.sink,
    now: Date.parse('2026-01-01T00:00:00Z'),
  });
  await out.sink.end();
  await rejects.sink.end();
  return { tally, out: out.text(), rejects: rejects.text() };
}

const LINES = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, content: 'x'.repeat(2000) + i }));

describe('the pipeline while a record is held', () => {
  it('lets the source values of waiting skips and payloads be freed, and still writes everything in order', async () => {
    const fake = holdingAdapter((r) => {
      const i = (r.value as { i: number }).i;
      return i % 2 === 0
        ? { kind: 'skip', reason: 'not_a_request' }
        : { kind: 'payload', draft: { sourceId: `s${i}`, provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 1, outputTokens: 2, metadata: { i } } };
    });
    const { tally, out } = await run(fake.adapter, LINES);
    expect(fake.waitingCount()).toBe(199);
    expect(fake.aliveAtFinish()).toBe(0);
    expect(tally.read).toBe(201);
    expect(tally.accounted).toBe(201);
    expect(tally.skippedTotal).toBe(100);
    // Payloads come out in input order although everything waited behind the first record.
    const order = out.trim().split('\n').map((l) => (JSON.parse(l) as { metadata: { i: number } }).metadata.i);
    expect(order).toEqual([...Array.from({ length: 100 }, (_, k) => 2 * k + 1), 999]);
  });

  it('a waiting payload the final gate rejects still writes its source row to --rejects', async () => {
    const fake = holdingAdapter((r) => ({
      kind: 'payload',
      // createdAt that is not a date-time: finishing fails, the row becomes a reject.
      draft: { sourceId: `s${(r.value as { i: number }).i}`, provider: 'openai', model: 'gpt-4o', status: 'success', inputTokens: 1, outputTokens: 2, createdAt: 'not a date' },
    }));
    const lines = LINES.slice(0, 5);
    const { rejects } = await run(fake.adapter, lines);
    const rows = rejects.trim().split('\n').map((l) => JSON.parse(l) as { file: string; line: number; raw: string });
    expect(rows.map((r) => `${r.file}:${r.line}`)).toEqual(['a.jsonl:1', 'a.jsonl:2', 'a.jsonl:3', 'a.jsonl:4', 'a.jsonl:5', 'b.jsonl:1']);
    expect(rows.slice(0, 5).map((r) => r.raw)).toEqual(lines);
    expect(fake.aliveAtFinish()).toBe(0);
  });

  it('waiting rejects keep their row (control: the gc check does see retained values)', async () => {
    const fake = holdingAdapter(() => ({ kind: 'reject', reason: 'bad row' }));
    const { rejects } = await run(fake.adapter, LINES.slice(0, 20));
    expect(fake.aliveAtFinish()).toBe(19);
    expect(rejects.trim().split('\n')).toHaveLength(21);
  });
});
