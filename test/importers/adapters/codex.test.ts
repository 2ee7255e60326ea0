import { describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adapter } from '../../../src/importers/adapters/codex.js';
import type { SourceRecord } from '../../../src/importers/types.js';
import { FIXTURES, runCli } from '../../helpers/cli.js';
import { loadRecords, payload, rejected, runAdapter, skipped, type Outcomes } from './harness.js';

const DIR = join(FIXTURES, 'import', 'codex');
const DAY = join(DIR, 'sessions', '2026', '02', '23');
const SHORT = 'rollout-2026-02-23T13-19-38-019c8a70-dda7-7f33-98ea-f30553347322.jsonl';
const LONG = 'rollout-2026-02-23T20-34-25-019c8bfe-ec25-79e0-97d7-bda6a9c575ff.jsonl';

describe('codex: rollout files', () => {
  test('a one-call session: every line has its exact outcome', async () => {
    const records = await loadRecords(join(DAY, SHORT));
    expect(records).toHaveLength(19);
    const { byPosition } = runAdapter(adapter, records);
    const call: Outcomes[number] = [
      `${SHORT}:19`,
      payload({
        sourceId: '019c8a70-dda7-7f33-98ea-f30553347322:34469/3456/431/264',
        provider: 'openai',
        model: 'gpt-5.3-codex',
        status: 'success',
        // input includes cached, output includes reasoning: both as logged
        inputTokens: 34469,
        outputTokens: 431,
        cachedInputTokens: 3456,
        reasoningTokens: 264,
        createdAt: '2026-02-23T12:19:52.689Z',
        metadata: { sessionId: '019c8a70-dda7-7f33-98ea-f30553347322', turnId: '019c8a70-ebe7-7e83-92b2-f77ddd49c5f9' },
      }),
    ];
    expect(byPosition.get(call[0])).toEqual(call[1]);
    // session_meta, turn_context, response items, other events and the info:null rate-limit update
    for (let line = 1; line <= 18; line++) expect(byPosition.get(`${SHORT}:${line}`)).toEqual(skipped('not_a_request'));
  });

  test('re-emitted token_count lines (running total unchanged) are copies; last_token_usage is never summed with the total', async () => {
    const records = await loadRecords(join(DAY, LONG));
    const { results } = runAdapter(adapter, records);
    const drafts = results.flatMap((r) => (r.outcome.kind === 'payload' ? [{ line: r.record.line, ...r.outcome.draft }] : []));
    expect(drafts.map((d) => [d.line, d.inputTokens, d.outputTokens, d.cachedInputTokens, d.reasoningTokens])).toEqual([
      [18, 42772, 204, 3456, 124],
      [27, 44218, 96, 42880, 17],
      [36, 48969, 245, 44288, 143],
      [45, 49326, 179, 49152, 81],
      [54, 49647, 113, 49408, 22],
      [62, 63441, 286, 49664, 96],
    ]);
    // The six calls add up to the session's final running total (299496 = input + output).
    expect(drafts.reduce((a, d) => a + d.inputTokens! + d.outputTokens!, 0)).toBe(299496);
    const copies = results.filter((r) => r.outcome.kind === 'skip' && r.outcome.reason === 'duplicate_copy').map((r) => r.record.line);
    expect(copies).toEqual([21, 30, 39, 48, 57]);
    expect(new Set(drafts.map((d) => d.sourceId)).size).toBe(6);
  });

  test('only running totals (older CLIs, ccusage fixture): each call is the difference from the previous total', async () => {
    const records = await loadRecords(join(DIR, 'branch-history', '2026-05-12T08-02-00-branch.jsonl'));
    const { results } = runAdapter(adapter, records);
    const drafts = results.flatMap((r) => (r.outcome.kind === 'payload' ? [r.outcome.draft] : []));
    expect(drafts.map((d) => [d.inputTokens, d.outputTokens, d.cachedInputTokens, d.reasoningTokens, d.model])).toEqual([
      [1000, 200, 100, 20, 'gpt-5.2'],
      [600, 250, 200, 20, 'gpt-5.2'],
    ]);
  });

  test('a forked session: the replayed parent history keeps the parent lineage, so its calls have the parent ids', async () => {
    const parentLines = readFileSync(join(DAY, LONG), 'utf8').split('\n').filter(Boolean);
    const parent = parentLines.map((l, i): SourceRecord => ({ value: JSON.parse(l), file: `parent/${LONG}`, line: i + 1 }));
    const meta = JSON.parse(parentLines[0]!);
    // The fork's shape as Codex Desktop writes it (ccusage#1370): its own session_meta with
    // forked_from_id, the parent's session_meta, then the parent's token history replayed.
    const childMeta = { ...meta, payload: { ...meta.payload, id: '019c8c20-0000-7000-8000-00000000f0c1', forked_from_id: meta.payload.id } };
    const replay = [childMeta, meta, JSON.parse(parentLines[10]!), JSON.parse(parentLines[17]!), JSON.parse(parentLines[26]!)];
    const own = {
      timestamp: '2026-02-23T21:00:00.000Z',
      type: 'event_msg',
      payload: {
        type: 'token_count',
        info: {
          total_token_usage: { input_tokens: 95000, cached_input_tokens: 86000, output_tokens: 400, reasoning_output_tokens: 50, total_tokens: 95400 },
          last_token_usage: { input_tokens: 8009, cached_input_tokens: 0, output_tokens: 100, reasoning_output_tokens: 10, total_tokens: 8109 },
        },
      },
    };
    const child = [...replay, own].map((value, i): SourceRecord => ({ value, file: 'rollout-fork.jsonl', line: i + 1 }));
    const { results } = runAdapter(adapter, [...parent, ...child]);
    const ids = (file: string) => results.filter((r) => r.record.file === file && r.outcome.kind === 'payload').map((r) => (r.outcome as { draft: { sourceId: string } }).draft.sourceId);
    const parentIds = ids(`parent/${LONG}`);
    const childIds = ids('rollout-fork.jsonl');
    expect(childIds).toHaveLength(3);
    expect(childIds.slice(0, 2)).toEqual(parentIds.slice(0, 2)); // the pipeline skips these as duplicate_copy
    expect(parentIds).not.toContain(childIds[2]);
  });

  test('rejects.jsonl: precise reasons', async () => {
    const { results } = runAdapter(adapter, await loadRecords(join(DIR, 'rejects.jsonl')));
    expect(results.map((r) => [r.record.line, r.outcome])).toEqual([
      [1, rejected('line is a string, not a Codex rollout line')],
      [2, rejected('type or payload is missing: not a Codex rollout line')],
      [3, rejected('token_count info has neither last_token_usage nor total_token_usage')],
      [4, rejected('payload.info.last_token_usage.input_tokens is a negative number, not a token count')],
      [5, rejected('timestamp is a fraction, not a timestamp')],
    ]);
  });

  test('sniff: Codex envelopes only', async () => {
    const [first] = await loadRecords(join(DAY, SHORT));
    expect(adapter.sniff!(first!)).toBe(true);
    const claude = await loadRecords(join(FIXTURES, 'import', 'claude-code', 'projects', '-home-dev-src-acme-billing', '7c1e9b04-2d3a-4f6e-8a5b-9c0d1e2f3a4b.jsonl'));
    expect(claude.some((r) => adapter.sniff!(r))).toBe(false);
  });
});

describe('opsmeter import --from codex (built CLI)', () => {
  test('a sessions folder and a forked branch: exact counts and sums, copies across files skipped, auto agrees, validate clean', async () => {
    const paths = [join('fixtures', 'import', 'codex', 'sessions'), join('fixtures', 'import', 'codex', 'branch-history')];
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-codex-'));
    const summaryFile = join(dir, 'summary.json');
    const r = await runCli(['import', '--from', 'codex', ...paths, '--summary-json', summaryFile, '-o', join(dir, 'out.jsonl')]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
    rmSync(dir, { recursive: true, force: true });
    expect(summary).toMatchObject({
      read: 87,
      complete: 9,
      partial: { total: 0 },
      // 5 re-emits in one file, 1 replay of the parent call in the branch file
      skipped: { total: 78, byReason: { not_a_request: 72, duplicate_copy: 6 } },
      rejected: { total: 0 },
      invariantHolds: true,
      tokens: { inputTokens: 334442, outputTokens: 2004, cachedInputTokens: 242604, reasoningTokens: 787 },
    });
    // Catalog ids (the snapshot knows both from @pydantic/genai-prices), priced as the logged names,
    // biggest estimate first.
    expect(summary.models.map((m: { provider: string; model: string }) => `${m.provider}/${m.model}`)).toEqual(['openai/gpt-5-3-codex', 'openai/gpt-5-2']);
    expect(summary.models.map((m: { pricedAs: string[] }) => m.pricedAs)).toEqual([['openai/gpt-5.3-codex'], ['openai/gpt-5.2']]);
    expect(summary.models[0].estimatedUsd).toBeGreaterThan(summary.models[1].estimatedUsd);
    expect(summary.models.every((m: { estimatedUsd: number | null }) => typeof m.estimatedUsd === 'number' && m.estimatedUsd > 0)).toBe(true);
    const out = await runCli(['import', '--from', 'codex', ...paths]);
    const v = await runCli(['validate', '-', '--format', 'json'], { input: out.stdout });
    expect(JSON.parse(v.stdout).summary).toMatchObject({ records: 9, errors: 0 });
    const auto = await runCli(['import', ...paths]);
    expect(auto.stderr).toContain('--from auto chose codex');
    expect(auto.stdout).toBe(out.stdout);
  });
});

describe('codex: a session with model activity but no token counts (issue 23)', () => {
  const NO_COUNTS = join(DIR, 'no-token-counts', 'rollout-2026-02-23T13-19-38-019c8a70-0000-7000-8000-00000000c0de.jsonl');

  test('imports nothing, and the converter says so (a session with counts says nothing)', async () => {
    const converter = adapter.create({ map: {} });
    for (const r of await loadRecords(NO_COUNTS)) expect(converter.push(r)[0]!.outcome).toEqual(skipped('not_a_request'));
    for (const r of await loadRecords(join(DAY, SHORT))) converter.push(r);
    converter.finish();
    const notes = converter.notes!();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^⚠ 1 Codex session shows model activity .* but no token counts, so nothing was imported for it/);
    expect(notes[0]).toContain('00000000c0de.jsonl');
    expect(notes[0]).not.toContain(SHORT);
  });

  test('the summary (stderr and --summary-json) names the session; the exit code stays 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsmeter-codex-'));
    try {
      const summaryFile = join(dir, 'summary.json');
      const r = await runCli(['import', '--from', 'codex', join('fixtures', 'import', 'codex', 'no-token-counts'), '--summary-json', summaryFile]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('1 Codex session shows model activity');
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8'));
      expect(summary).toMatchObject({ read: 17, complete: 0, skipped: { total: 17 }, invariantHolds: true });
      expect(summary.notes.some((n: string) => n.includes('no token counts') && n.includes('00000000c0de.jsonl'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
