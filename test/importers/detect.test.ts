/** `--from auto` through the built CLI: per-file detection, records of no telling shape, inputs that hold no results. */
import { afterAll, describe, expect, test } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-detect-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};
const fixtureLines = (path: string, from: number, to: number) => readFileSync(join(FIXTURES, 'import', path), 'utf8').split('\n').slice(from - 1, to).join('\n') + '\n';

describe('--from auto', () => {
  test("a stream whose first record has no telling shape (Azure's filter-only chunk) is recognised from the records after it", async () => {
    const p = file('azure-stream.jsonl', fixtureLines('openai-log/app-completions.jsonl', 16, 18));
    const auto = await runCli(['import', p]);
    expect(auto.stderr).toContain('--from auto chose openai-log');
    expect(auto.code).toBe(0);
    const named = await runCli(['import', p, '--from', 'openai-log']);
    expect(auto.stdout).toBe(named.stdout);
  });

  test('files of several formats are read in one run, each as its own format (test/importers/mixed-folder.test.ts has the whole folder)', async () => {
    const r = await runCli(['import', join('fixtures', 'import', 'codex', 'sessions'), join('fixtures', 'import', 'anthropic-log', 'messages.jsonl')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--from auto found 2 formats: codex (2 files), anthropic-log (1 file); each file is read as its own format');
    expect(r.stderr).toContain('    codex: 2 files, 82 rows: complete 7 · partial 0 · skipped 75 · rejected 0');
    expect(r.stderr).toContain('    anthropic-log: 1 file, 2 rows: complete 1 · partial 1 · skipped 0 · rejected 0');
    expect(r.stderr).toContain('read 84 = complete 8 + partial 1 + skipped 75 + rejected 0 ✔');
  });

  test('a file whose format cannot be told among files of known formats is left out, named, and the others are imported (exit 1)', async () => {
    const odd = file('notes.json', '{"hello": "world"}\n');
    const known = [join('fixtures', 'import', 'anthropic-log', 'messages.jsonl'), join('fixtures', 'import', 'codex', 'sessions')];
    const r = await runCli(['import', ...known, odd]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--from auto found 2 formats: anthropic-log (1 file), codex (2 files); each file is read as its own format; 1 file is left out (named in the summary)');
    expect(r.stderr).toContain(`  ⚠ LEFT OUT 1 file (not imported, not in rows read; exit 1):\n    ${odd} (JSON) matches none of the known formats\n`);
    const without = await runCli(['import', ...known]);
    expect(without.code).toBe(0);
    expect(r.stdout).toBe(without.stdout);
    expect(r.stdout).not.toBe('');
  });

  test('a file left out of a single-format run stays out, though the format\'s own file filter would take it', async () => {
    const dir = join(tmp, 'one-format');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'messages.jsonl'), readFileSync(join(FIXTURES, 'import', 'anthropic-log', 'messages.jsonl')));
    writeFileSync(join(dir, 'todo.jsonl'), '{"todo": "nothing to import"}\n');
    const r = await runCli(['import', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--from auto chose anthropic-log');
    expect(r.stderr).toContain(`    ${join(dir, 'todo.jsonl')} (JSON) matches none of the known formats\n`);
    expect(r.stderr).toContain('files 1 · rows read 2');
  });

  test('when no file can be imported, nothing is, with exit 2 and every file named', async () => {
    const a = file('a.json', '{"hello": "world"}\n');
    const b = file('b.json', '{"x": 1}\n');
    const r = await runCli(['import', a, b]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--from auto: the format of 2 inputs cannot be told, so nothing was imported:');
    expect(r.stderr).toContain(`${a} (JSON) matches none of the known formats`);
    expect(r.stderr).toContain(`${b} (JSON) matches none of the known formats`);
  });

  test('a batch input file says what to import instead', async () => {
    // The OpenAI Batch guide's input example.
    const p = file('batchinput.jsonl', '{"custom_id": "request-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-3.5-turbo-0125", "messages": [{"role": "system", "content": "You are a helpful assistant."},{"role": "user", "content": "Hello world!"}],"max_tokens": 1000}}\n');
    const r = await runCli(['import', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is an OpenAI Batch input file (custom_id/method/url/body: the requests, no results): import the batch output and error files (--from openai-batch)');
  });

  test('a header-only export is recognised by its header and imports nothing', async () => {
    const header = readFileSync(join(FIXTURES, 'import', 'litellm', 'spend.csv'), 'utf8').split('\n')[0]!;
    const p = file('spend-empty.csv', header + '\n');
    const r = await runCli(['import', p]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('--from auto chose litellm');
    expect(r.stderr).toContain('it has only a header row, no rows to import');
    expect(r.stderr).toContain('read 0 = complete 0 + partial 0 + skipped 0 + rejected 0 ✔');
  });

  test('a header-only export among files of other formats is named as a single-format run names it: stderr, summary, files[]', async () => {
    // The OpenRouter activity export's real header (with its BOM), no rows.
    const header = readFileSync(join(FIXTURES, 'import', 'openrouter', 'openrouter_activity_2026-06-28.csv'), 'utf8').split('\n')[0]!;
    const p = file('openrouter-empty.csv', header + '\n');
    const messages = join('fixtures', 'import', 'anthropic-log', 'messages.jsonl');
    const summaryFile = join(tmp, 'header-only-mixed.json');
    const r = await runCli(['import', messages, p, '--summary-json', summaryFile]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `--from auto found 2 formats: anthropic-log (1 file), openrouter (1 file); each file is read as its own format; ${p} has only a header row, no rows to import\n`,
    );
    expect(r.stderr).toContain('    openrouter: 1 file, 0 rows: complete 0 · partial 0 · skipped 0 · rejected 0');
    expect(r.stderr).toContain(`      ${p}: only a header row, no rows to import\n`);
    expect(r.stderr).toContain(`      ${messages}\n`);
    expect(r.stderr).toContain('read 2 = complete 1 + partial 1 + skipped 0 + rejected 0 ✔');
    const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
    expect(s.format).toBe('mixed');
    expect(s.files).toEqual([
      { file: messages, format: 'anthropic-log', mode: 'json', gzip: false, rows: 2, rejected: 0, blankLines: 0 },
      { file: p, format: 'openrouter', mode: 'csv', gzip: false, rows: 0, rejected: 0, blankLines: 0, headerOnly: true },
    ]);

    // The same file alone, and with --from named: the same words, the same files[] entry.
    const alone = await runCli(['import', p, '--summary-json', summaryFile]);
    expect(alone.code).toBe(0);
    expect(alone.stderr).toContain('--from auto chose openrouter');
    expect(alone.stderr).toContain('it has only a header row, no rows to import');
    expect(JSON.parse(readFileSync(summaryFile, 'utf8')).files).toEqual([s.files[1]]);
    const named = await runCli(['import', p, '--from', 'openrouter', '--summary-json', summaryFile]);
    expect(named.code).toBe(0);
    expect(named.stderr).toContain(`  ${p}: only a header row, no rows to import\n`);
    expect(JSON.parse(readFileSync(summaryFile, 'utf8')).files).toEqual([s.files[1]]);
  });

  test('a CloudWatch Logs Insights export is named', async () => {
    const p = file('insights.json', JSON.stringify({ results: [[{ field: '@timestamp', value: '2025-09-12 14:03:07.000' }, { field: '@message', value: '{}' }]], statistics: { recordsMatched: 1, recordsScanned: 10, bytesScanned: 100 }, status: 'Complete' }) + '\n');
    const r = await runCli(['import', p]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is a CloudWatch Logs Insights query result');
  });
});
