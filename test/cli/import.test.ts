import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SNAPSHOT_DATE } from '../../src/contract/catalog-snapshot.js';
import { runCli } from '../helpers/cli.js';

const F = 'fixtures/import';
const LITELLM = `${F}/litellm/spend.csv`;
const OPENROUTER = `${F}/openrouter/openrouter_activity_2026-06-28.csv`;
const CSV_MAP = ['--map', 'externalRequestId=req_id', '--map', 'createdAt=ts', '--map', 'provider=vendor', '--map', 'model=model_name', '--map', 'inputTokens=prompt', '--map', 'outputTokens=completion', '--map', 'status=http_status', '--map', 'userId=who'];
const JSONL_MAP = ['--map', 'externalRequestId=id', '--map', 'createdAt=at', '--map', 'provider=llm.vendor', '--map', 'model=llm.model', '--map', 'inputTokens=usage.prompt_tokens', '--map', 'outputTokens=usage.completion_tokens', '--map', 'status=ok', '--map', 'errorCode=error'];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-import-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (s: string) => s.split('\n').filter(Boolean);
const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);

describe('opsmeter import, per format, through the built CLI', () => {
  it.each([
    ['litellm CSV', [LITELLM, '--from', 'litellm'], 1, 9, 'read 10 = complete 6 + partial 3 + skipped 0 + rejected 1'],
    ['litellm JSON', [`${F}/litellm/spend-logs.json`, '--from', 'litellm'], 0, 4, 'read 4 = complete 3 + partial 1 + skipped 0 + rejected 0'],
    ['litellm Excel CSV', [`${F}/litellm/spend-excel.csv`, '--from', 'litellm'], 0, 3, 'read 3 = complete 3 + partial 0 + skipped 0 + rejected 0'],
    ['openrouter', [OPENROUTER, '--from', 'openrouter'], 1, 7, 'read 8 = complete 5 + partial 2 + skipped 0 + rejected 1'],
    ['csv', [`${F}/csv/requests.csv`, '--from', 'csv', ...CSV_MAP], 1, 4, 'read 5 = complete 2 + partial 2 + skipped 0 + rejected 1'],
    ['jsonl', [`${F}/jsonl/requests.jsonl`, '--from', 'jsonl', ...JSONL_MAP], 1, 3, 'read 4 = complete 2 + partial 1 + skipped 0 + rejected 1'],
  ])('%s', async (_name, args, code, payloads, invariant) => {
    const r = await runCli(['import', ...(args as string[])]);
    noStack(r.stderr);
    expect(r.code).toBe(code);
    expect(lines(r.stdout)).toHaveLength(payloads as number);
    expect(r.stderr).toContain(`${invariant} ✔`);
    expect(r.stderr).toMatch(/ESTIMATED/);
    expect(r.stderr).toContain(`catalog: built-in snapshot, ${SNAPSHOT_DATE}`);
    expect(r.stderr).toContain('defaults applied: dataMode=real');
  });

  it('every payload it emits passes `opsmeter validate` with no error', async () => {
    for (const args of [[LITELLM, '--from', 'litellm'], [OPENROUTER], [`${F}/csv/requests.csv`, '--from', 'csv', ...CSV_MAP], [`${F}/litellm/spend-logs.json`]]) {
      const imp = await runCli(['import', ...args]);
      expect(lines(imp.stdout).length).toBeGreaterThan(0);
      const v = await runCli(['validate', '-', '--format', 'json'], { input: imp.stdout });
      expect(v.code).toBe(0);
      const report = JSON.parse(v.stdout);
      expect(report.summary?.errors ?? report.counts?.errors).toBe(0);
    }
  });

  it('is idempotent: two runs write byte-identical payloads, rejects and summaries', async () => {
    const run = async (n: number) => {
      const r = await runCli(['import', LITELLM, `${F}/litellm/spend-logs.json`, '--from', 'litellm', '-o', join(tmp, `out${n}.jsonl`), '--rejects', join(tmp, `rej${n}.jsonl`), '--summary-json', join(tmp, `sum${n}.json`)]);
      return r;
    };
    const a = await run(1);
    const b = await run(2);
    expect(a.code).toBe(b.code);
    for (const f of ['out', 'rej', 'sum']) {
      const ext = f === 'sum' ? 'json' : 'jsonl';
      expect(readFileSync(join(tmp, `${f}1.${ext}`))).toEqual(readFileSync(join(tmp, `${f}2.${ext}`)));
    }
    expect(readFileSync(join(tmp, 'out1.jsonl'), 'utf8').length).toBeGreaterThan(0);
  });

  it('--hash-user-ids lets no raw user id through', async () => {
    const raw = ['customer-8812', 'customer-1077', 'internal-user-7', 'acme, inc. / user 4', 'user_2b9f', 'user_77', 'doe, jane'];
    for (const args of [[LITELLM, '--from', 'litellm'], [OPENROUTER, '--from', 'openrouter']]) {
      const r = await runCli(['import', ...args, '--hash-user-ids', 's3cret-salt']);
      const out = r.stdout;
      expect(out).toMatch(/"userId":"u_[0-9a-f]{64}"/);
      for (const id of raw) expect(out).not.toContain(id);
      for (const p of lines(out).map((l) => JSON.parse(l))) if (p.userId !== undefined) expect(p.userId).toMatch(/^u_[0-9a-f]{64}$/);
      expect(r.stderr).toContain('user ids: hashed');
    }
    // the salt may come from the environment instead of argv
    const e = await runCli(['import', LITELLM, '--from', 'litellm'], { env: { OPSMETER_HASH_SALT: 's3cret-salt' } });
    expect(e.stdout).not.toContain('customer-8812');
  });

  it('an e-mail userId without --hash-user-ids is rejected (PII never leaves unhashed), and passes hashed', async () => {
    const file = join(tmp, 'pii.csv');
    writeFileSync(file, 'id,vendor,model,in,out,user\nr1,openai,gpt-4o,1,2,jane@example.com\n');
    const map = ['--from', 'csv', '--map', 'externalRequestId=id', '--map', 'provider=vendor', '--map', 'model=model', '--map', 'inputTokens=in', '--map', 'outputTokens=out', '--map', 'userId=user'];
    const plain = await runCli(['import', file, ...map, '--rejects', join(tmp, 'pii-rejects.jsonl')]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(readFileSync(join(tmp, 'pii-rejects.jsonl'), 'utf8')).toMatch(/userId looks like an e-mail address.*--hash-user-ids/);
    const hashed = await runCli(['import', file, ...map, '--hash-user-ids', 'x']);
    expect(hashed.code).toBe(0);
    expect(hashed.stdout).not.toContain('jane@example.com');
  });

  it('writes -o, --rejects and --summary-json; states the applied defaults', async () => {
    const r = await runCli(['import', LITELLM, '--from', 'litellm', '-o', join(tmp, 'p.jsonl'), '--rejects', join(tmp, 'r.jsonl'), '--summary-json', join(tmp, 's.json'), '--endpoint-tag', 'gateway', '--prompt-version', 'v7', '--environment', 'staging', '--data-mode', 'test']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const payloads = lines(readFileSync(join(tmp, 'p.jsonl'), 'utf8')).map((l) => JSON.parse(l));
    expect(payloads).toHaveLength(9);
    for (const p of payloads) expect(p).toMatchObject({ endpointTag: 'gateway', promptVersion: 'v7', environment: 'staging', dataMode: 'test' });
    expect(lines(readFileSync(join(tmp, 'r.jsonl'), 'utf8')).map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ file: LITELLM, line: 11, reason: 'row has 7 cells, the header has 32' }),
    ]);
    const s = JSON.parse(readFileSync(join(tmp, 's.json'), 'utf8'));
    expect(s).toMatchObject({ format: 'litellm', formatChosenBy: 'flag', read: 10, complete: 6, invariantHolds: true, catalog: { date: SNAPSHOT_DATE } });
    expect(s.defaultsApplied).toEqual([
      { field: 'dataMode', value: 'test', payloads: 9 },
      { field: 'environment', value: 'staging', payloads: 9 },
      { field: 'endpointTag', value: 'gateway', payloads: 9 },
      { field: 'promptVersion', value: 'v7', payloads: 9 },
    ]);
    expect(r.stderr).toContain('defaults applied: dataMode=test (9 payloads), environment=staging (9 payloads), endpointTag=gateway (9 payloads), promptVersion=v7 (9 payloads)');
  });

  it('reads gzip (by magic bytes), stdin, and reports a truncated gzip as a rejected row', async () => {
    const plain = await runCli(['import', LITELLM, '--from', 'litellm']);
    const gz = join(tmp, 'spend.csv.gz');
    writeFileSync(gz, gzipSync(readFileSync(LITELLM)));
    const g = await runCli(['import', gz, '--from', 'litellm']);
    expect(g.stdout).toBe(plain.stdout);
    const odd = join(tmp, 'spend-without-suffix.csv');
    writeFileSync(odd, gzipSync(readFileSync(LITELLM)));
    expect((await runCli(['import', odd, '--from', 'litellm'])).stdout).toBe(plain.stdout);
    const s = await runCli(['import', '-', '--from', 'litellm'], { input: readFileSync(LITELLM) });
    expect(s.stdout).toBe(plain.stdout);
    const big = Buffer.concat(Array.from({ length: 200 }, () => readFileSync(`${F}/litellm/spend-excel.csv`)));
    const cut = gzipSync(big).subarray(0, 3000);
    writeFileSync(join(tmp, 'cut.csv.gz'), cut);
    const c = await runCli(['import', join(tmp, 'cut.csv.gz'), '--from', 'litellm', '--summary-json', join(tmp, 'cut.json')]);
    noStack(c.stderr);
    expect(c.code).toBe(1);
    const sum = JSON.parse(readFileSync(join(tmp, 'cut.json'), 'utf8'));
    expect(sum.invariantHolds).toBe(true);
    expect(Object.keys(sum.rejected.byReason).join()).toMatch(/damaged gzip file: the file is truncated/);
  });
});

describe('--from auto', () => {
  it.each([
    [LITELLM, 'litellm'],
    [`${F}/litellm/spend-logs.json`, 'litellm'],
    [`${F}/litellm/spend-excel.csv`, 'litellm'],
    [OPENROUTER, 'openrouter'],
    [`${F}/openrouter`, 'openrouter'],
  ])('%s → %s', async (path, format) => {
    const r = await runCli(['import', path]);
    expect(r.stderr).toContain(`--from auto chose ${format}`);
    expect(r.stderr).toContain(`format ${format} (chosen by --from auto`);
    expect(lines(r.stdout).length).toBeGreaterThan(0);
  });

  it('refuses when unsure and lists the formats', async () => {
    const r = await runCli(['import', `${F}/csv/requests.csv`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/matches none of the known formats/);
    expect(r.stderr).toMatch(/--from \(openai-batch, openai-log, anthropic-batch, anthropic-log, claude-code, codex, gemini, gemini-cli, opencode, otel, litellm, openrouter, bedrock, csv, jsonl\)/);
    expect(r.stdout).toBe('');
  });

  it('empty stdin has nothing to recognise', async () => {
    const r = await runCli(['import'], { input: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no record to recognise the format from/);
  });
});

describe('aggregate-only exports are refused (exit 2) with why and what to export instead', () => {
  it.each([
    ['openai-usage-completions.csv', /OpenAI usage export.*time bucket.*Batch API output files/],
    ['openai-costs.csv', /OpenAI costs export/],
    ['openai-usage-page.json', /OpenAI usage export/],
    ['anthropic-console-usage.csv', /Anthropic Console usage export.*Message Batches results/],
    ['openrouter-grouped.csv', /OpenRouter grouped activity export.*one row per generation_id/],
    ['litellm-daily-user-spend.csv', /LiteLLM daily spend table.*LiteLLM_SpendLogs/],
  ])('%s', async (file, message) => {
    for (const from of [[], ['--from', file.startsWith('openrouter') ? 'openrouter' : 'litellm']]) {
      const r = await runCli(['import', `${F}/aggregate/${file}`, ...from, '-o', join(tmp, 'never.jsonl')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      noStack(r.stderr);
      expect(r.stdout).toBe('');
    }
  });

  it('one aggregate file among good ones stops the run before any output', async () => {
    const r = await runCli(['import', LITELLM, `${F}/aggregate/litellm-daily-user-spend.csv`, '--from', 'litellm']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });
});

// The flag errors a plan finds are tested in-process (import-plan.test.ts); here, the ones
// that need the input, and one flag error end to end (exit code and stderr of the built CLI).
describe('usage and input errors (exit 2, one clear line)', () => {
  it.each([
    [['import', `${F}/csv/requests.csv`, '--from', 'csv'], /--from csv needs --map for provider, model, inputTokens, outputTokens/],
    [['import', `${F}/csv/requests.csv`, '--from', 'csv', '--map', 'provider=vendor', '--map', 'model=nope', '--map', 'inputTokens=prompt', '--map', 'outputTokens=x.y'], /--map names columns the header does not have: model=nope, outputTokens=x.y/],
    [['import', 'no/such/file.csv', '--from', 'litellm'], /no such file/],
    [['import', OPENROUTER, '--from', 'litellm'], /not a LiteLLM spend log: the header lacks request_id/],
  ])('%j', async (args, message) => {
    const r = await runCli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    noStack(r.stderr);
  });

  it('binary input given as CSV is refused clearly', async () => {
    const bin = join(tmp, 'image.csv');
    writeFileSync(bin, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0xff, 0x0a, 0x01, 0x02]));
    const r = await runCli(['import', bin, '--from', 'litellm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not CSV text: line 1/);
    noStack(r.stderr);
  });
});
