/**
 * Large JSONL files of formats whose records are independent are converted in worker
 * threads (docs/import.md "Performance"). Whatever the threads do, everything the import
 * writes must be the same byte for byte as on the main thread alone: payloads, rejects,
 * --summary-json, the stderr summary and the exit code. The built CLI runs a generated
 * multi-MB OpenAI Batch output file — bad lines of every kind the reader knows, duplicates,
 * ids shared by two requests, partial rows, CR and CRLF line ends, a byte order mark, a line
 * over the 10 MB cap, no final newline — with the threads forced on and off.
 * NODE_DEBUG=worker (Node's own trace) shows whether threads were started.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';

let dir: string;
let big: string;
let gz: string;

/** One batch output line per request; every few lines something a real file can hold. */
function generate(lines: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0xef, 0xbb, 0xbf])];
  const text = (s: string, end = '\n') => parts.push(Buffer.from(s + end, 'utf8'));
  const ok = (i: number, over: Record<string, unknown> = {}) =>
    JSON.stringify({
      id: `batch_req_${i.toString(16)}`,
      custom_id: `request-${i}`,
      response: {
        status_code: 200,
        request_id: i.toString(16).padStart(32, '0'),
        body: {
          id: `chatcmpl-${i.toString(36)}`,
          object: 'chat.completion',
          created: 1757683200 + i * 37,
          // deepseek-chat has off-peak prices: the cost ledger splits its rows by time of day.
          model: i % 7 === 0 ? 'gpt-4o-2024-08-06' : i % 11 === 0 ? 'deepseek-chat' : 'gpt-4o-mini-2024-07-18',
          choices: [{ index: 0, message: { role: 'assistant', content: `Route ticket ${i} to billing — “duplicate charge”.` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 20 + ((i * 7919) % 3000), completion_tokens: 5 + ((i * 104729) % 600), total_tokens: 25 + ((i * 7919) % 3000) + ((i * 104729) % 600), prompt_tokens_details: { cached_tokens: i % 5 === 0 ? 10 : 0 } },
        },
      },
      error: null,
      ...over,
    });
  for (let i = 0; i < lines; i++) {
    if (i % 97 === 3) {
      text(JSON.stringify({ id: `batch_req_${i.toString(16)}`, custom_id: `request-${i}`, response: { status_code: 400, request_id: `r${i}`, body: { error: { message: 'Invalid request', type: 'invalid_request_error', code: 'context_length_exceeded' } } }, error: null }));
    } else if (i % 211 === 5) {
      // Never ran: partial, and no createdAt (priced at the import's time).
      text(JSON.stringify({ id: `batch_req_${i.toString(16)}`, custom_id: `request-${i}`, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } }));
    } else if (i % 301 === 7) {
      text(ok(i - 1)); // the same line again: a duplicate copy
    } else if (i % 503 === 11) {
      text(ok(i - 1, { custom_id: `other-${i}` })); // the same batch_req id, another request: scoped
    } else if (i % 1009 === 13) {
      text(ok(i - 3, { custom_id: `other-${i - 2}` })); // a scoped id seen before: a copy
    } else if (i % 401 === 17) text('{"id": "batch_req_broken", "custom_id": ');
    else if (i % 409 === 19) {
      text('');
      text('   \t');
    } else if (i % 419 === 23) text(`{"id":"batch_req_dup${i}","id":"again","custom_id":"request-${i}","response":null,"error":{"code":"batch_expired"}}`);
    else if (i % 421 === 29) text('[1, 2, 3]');
    else if (i % 431 === 31) text(JSON.stringify({ custom_id: `request-${i}`, method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini' } }));
    else if (i % 433 === 37) text(ok(i), '\r\n');
    else if (i % 439 === 41) text(ok(i), '\r');
    else if (i % 443 === 43) parts.push(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]));
    else if (i % 449 === 47) text('{"id": "nul\u0000byte"}');
    else if (i % 457 === 53) text(ok(i, { custom_id: `alice${i}@example.com` }));
    else if (i % 461 === 59) text(ok(i).replace(/"created":\d+/, '"created":-5'));
    else if (i === Math.floor(lines / 2)) {
      // Longer than a line may be (10 MB): one reject, without buffering it whole.
      text(JSON.stringify({ id: 'batch_req_huge', custom_id: 'huge', pad: 'x'.repeat(10.5 * 1024 * 1024) }));
    } else if (i === Math.floor(lines / 3)) {
      text(ok(i, { deep: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) }));
    } else text(ok(i));
  }
  text(ok(lines), ''); // no final newline
  return Buffer.concat(parts);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-workers-'));
  const bytes = generate(24_000);
  big = join(dir, 'batch_68c3a1e9f0b48190_output.jsonl');
  writeFileSync(big, bytes);
  gz = join(dir, 'copy_output.jsonl.gz');
  writeFileSync(gz, gzipSync(bytes));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  payloads: Buffer;
  rejects: Buffer;
  summary: Buffer;
  stdout: string;
  stderr: string;
  threadsStarted: number;
}

async function run(name: string, workers: string | undefined, files: string[], extra: string[] = [], from = ['--from', 'openai-batch'], idleCores?: string): Promise<Outcome> {
  const tag = `run-${name}-output`; // in the file names, masked in stderr
  const out = join(dir, `${tag}.payloads.jsonl`);
  const rejects = join(dir, `${tag}.rejects.jsonl`);
  const summary = join(dir, `${tag}.summary.json`);
  const r = await runCli(['import', ...files, ...from, '-o', out, '--rejects', rejects, '--summary-json', summary, ...extra], {
    // The cores' idle time decides the default (read/idle-cores.ts): a test says what it is, rather than depend on the machine.
    env: { OPSMETER_IMPORT_WORKERS: workers, NODE_DEBUG: 'worker', OPSMETER_IDLE_CORES: idleCores ?? (workers === undefined ? '2' : undefined) },
    timeoutMs: 120_000,
  });
  const lines = r.stderr.split('\n');
  return {
    code: r.code,
    payloads: readFileSync(out),
    rejects: readFileSync(rejects),
    summary: readFileSync(summary),
    stdout: r.stdout.replaceAll(tag, 'TAG'),
    // The import's own lines (Node's worker trace comes before the summary, and after --from
    // auto's notice), with the run's file names and the import's time (shown for rows priced at it) masked.
    stderr: [...lines.filter((l) => l.startsWith('opsmeter import: --from auto')), ...lines.slice(lines.findIndex((l) => /^opsmeter import: (format |\d+ formats)/.test(l)))]
      .filter((l) => !l.startsWith('WORKER '))
      .join('\n')
      .replaceAll(tag, 'TAG')
      .replace(/\(\d{4}-\d\d-\d\dT[\d:.]+Z\)/g, '(NOW)'),
    threadsStarted: lines.filter((l) => /created Worker with ID/.test(l)).length,
  };
}

function expectSame(a: Outcome, b: Outcome): void {
  expect(b.code).toBe(a.code);
  expect(b.payloads.equals(a.payloads)).toBe(true);
  expect(b.rejects.equals(a.rejects)).toBe(true);
  expect(b.summary.equals(a.summary)).toBe(true);
  expect(b.stderr).toBe(a.stderr);
  expect(b.stdout).toBe(a.stdout);
}

describe('import in worker threads', () => {
  it('writes the same payloads, rejects, summary and exit code as the main thread alone', async () => {
    const off = await run('off', 'off', [big]);
    const two = await run('two', '2', [big]);
    expect(off.threadsStarted).toBe(0);
    expect(two.threadsStarted).toBe(2);
    expectSame(off, two);

    // What the file holds did happen: every kind of row is there, and accounted for.
    const s = JSON.parse(off.summary.toString()) as Record<string, any>;
    expect(off.code).toBe(1);
    expect(s.invariantHolds).toBe(true);
    expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
    expect(s.complete).toBeGreaterThan(20_000);
    expect(s.partial.byReason).toMatchObject({ request_failed: expect.any(Number), batch_expired: expect.any(Number) });
    expect(s.skipped.byReason.duplicate_copy).toBeGreaterThan(60);
    expect(s.notes.some((n: string) => /source ids were shared by different requests/.test(n))).toBe(true);
    const reasons = Object.keys(s.rejected.byReason).join('\n');
    for (const r of [/^not valid JSON/m, /appears twice in one object/, /line is an array/, /Batch input line/, /not valid UTF-N/, /NUL bytes/, /longer than N MB/, /not a unix timestamp/]) {
      expect(reasons).toMatch(r);
    }
    expect(s.blankLines).toBeGreaterThan(0);
    const rejectLines = off.rejects.toString().trim().split('\n').map((l) => JSON.parse(l) as { line: number; reason: string });
    expect(rejectLines.find((r) => /longer than 10 MB/.test(r.reason))?.line).toBeGreaterThan(1);
    expect(off.payloads.toString()).toContain('"partialReason":"batch_expired"');
    expect(s.models.find((m: { model: string }) => m.model === 'deepseek-chat')?.estimatedUsd).toBeGreaterThan(0);
  });

  it('is the same with one thread, across files (duplicates of another file, gzip) and with --hash-user-ids and --provider', async () => {
    const extra = ['--hash-user-ids', 'pepper', '--provider', 'azure-openai'];
    const off = await run('off2', 'off', [big, gz], extra);
    const one = await run('one', '1', [big, gz], extra);
    expect(one.threadsStarted).toBe(1);
    expectSame(off, one);
    const s = JSON.parse(off.summary.toString()) as Record<string, any>;
    // The gzip file repeats every line of the first: all its requests are copies.
    expect(s.skipped.byReason.duplicate_copy).toBeGreaterThan(s.complete / 2);
    expect(off.rejects.toString()).not.toContain('alice');
  });

  it('reads a file that is not a plain file (a named pipe) as a stream, with the same result', async () => {
    // A plain file is read again from its start straight into the batches; a pipe cannot be, so it is read ahead instead.
    if (process.platform === 'win32') return;
    const fifo = (name: string): string => {
      const path = join(dir, `${name}.jsonl`);
      rmSync(path, { force: true });
      execFileSync('mkfifo', [path]);
      createWriteStream(path).end(readFileSync(big));
      return path;
    };
    const off = await run('fifo-off', 'off', [fifo('fifo-a')]);
    const two = await run('fifo-two', '2', [fifo('fifo-b')]);
    expect(two.threadsStarted).toBe(2);
    expect(two.code).toBe(off.code);
    expect(two.payloads.equals(off.payloads)).toBe(true);
    expect(two.rejects.toString().replaceAll('fifo-b', 'fifo-a')).toBe(off.rejects.toString());
    // Every line arrived (the plain file's name carries a batch id, so its payloads differ in metadata).
    const file = await run('fifo-file', 'off', [big]);
    expect(JSON.parse(two.summary.toString()).read).toBe(JSON.parse(file.summary.toString()).read);
    expect(two.payloads.toString().split('\n').length).toBe(file.payloads.toString().split('\n').length);
  });

  it('starts no thread for a small file unless told to', async () => {
    const small = join(dir, 'small_output.jsonl');
    writeFileSync(small, readFileSync(big).subarray(0, 200_000));
    const auto = await run('auto', undefined, [small]);
    expect(auto.threadsStarted).toBe(0);
    const forced = await run('forced', '2', [small]);
    expect(forced.threadsStarted).toBe(2);
    expectSame(auto, forced);
  });

  it('hands the same payloads to the sender (--send --dry-run, which takes text, not bytes)', async () => {
    const small = join(dir, 'send_output.jsonl');
    writeFileSync(small, readFileSync(big).subarray(0, 400_000));
    const send = ['--send', '--dry-run', '--data-mode', 'test', '--environment', 'staging'];
    const off = await run('send-off', 'off', [small], send);
    const two = await run('send-two', '2', [small], send);
    expect(two.threadsStarted).toBe(2);
    expectSame(off, two);
    // A dry run prints each event it would send: the same events, in the same order.
    expect(two.stdout).toContain('"externalRequestId"');
  });

  it('converts the spans of each line of an OTLP export (an adapter that unpacks its records) as the main thread does', async () => {
    // A Collector file export: each line a document of several spans (model calls, an agent,
    // a tool, an HTTP span); copies of calls in later lines, broken lines, logs documents,
    // counts that are no counts, CRLF line ends.
    const attr = (key: string, value: string | number) => ({ key, value: typeof value === 'number' ? { intValue: value } : key.includes('usage') ? { intValue: value } : { stringValue: value } });
    const chat = (i: number, k: number, extra: { key: string; value: unknown }[] = []) => ({
      traceId: i.toString(16).padStart(32, '0'),
      spanId: `${i.toString(16).padStart(12, '0')}00${k}0`,
      name: 'chat gpt-4o-mini',
      kind: 3,
      startTimeUnixNano: `${1789898400 + i}${String(k * 1000).padStart(9, '0')}`,
      endTimeUnixNano: `${1789898400 + i}${String(k * 1000 + 250_000_000).padStart(9, '0')}`,
      attributes: [attr('gen_ai.operation.name', 'chat'), attr('gen_ai.provider.name', 'openai'), attr('gen_ai.response.model', 'gpt-4o-mini-2024-07-18'), attr('gen_ai.response.id', `chatcmpl-${i}-${k}`), attr('gen_ai.usage.input_tokens', k === 1 ? 100 + (i % 900) : String(200 + (i % 700))), attr('gen_ai.usage.output_tokens', 5 + (i % 60)), ...extra],
    });
    // A failed call states no usage: partial.
    const failedChat = (i: number) => {
      const c = chat(i, 2, [attr('error.type', 'timeout')]);
      return { ...c, attributes: c.attributes.filter((a) => !a.key.startsWith('gen_ai.usage')) };
    };
    const doc = (i: number) => ({
      resourceSpans: [
        {
          resource: { attributes: [attr('service.name', `svc-${i % 3}`)] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: [
                { traceId: i.toString(16).padStart(32, '0'), spanId: `${i.toString(16).padStart(12, '0')}0000`, name: 'invoke_agent a', attributes: [attr('gen_ai.operation.name', 'invoke_agent'), attr('gen_ai.usage.input_tokens', 300), attr('gen_ai.usage.output_tokens', 10)] },
                chat(i, 1),
                i % 13 === 0 ? failedChat(i) : chat(i, 2),
                { traceId: 'ab', spanId: 'cd', name: 'execute_tool t', attributes: [attr('gen_ai.operation.name', 'execute_tool')] },
                { traceId: 'ab', spanId: 'ce', name: 'GET', attributes: [attr('http.request.method', 'GET')] },
                ...(i % 17 === 0 ? [chat(i, 3, [{ key: 'gen_ai.usage.output_tokens', value: { stringValue: 'lots' } }])] : []),
                ...(i % 50 === 7 ? [chat(i - 1, 1)] : []), // a copy of the previous line's call
              ],
            },
          ],
        },
      ],
    });
    const lines: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      if (i % 97 === 5) lines.push('{"resourceSpans": [');
      else if (i % 101 === 9) lines.push(JSON.stringify({ resourceLogs: [] }));
      else lines.push(JSON.stringify(doc(i)) + (i % 103 === 11 ? '\r' : ''));
    }
    const file = join(dir, 'otel-traces.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const off = await run('otel-off', 'off', [file], [], ['--from', 'otel']);
    const two = await run('otel-two', '2', [file], [], ['--from', 'otel']);
    expect(two.threadsStarted).toBe(2);
    expectSame(off, two);
    const s = JSON.parse(off.summary.toString()) as Record<string, any>;
    expect(s.invariantHolds).toBe(true);
    expect(s.skipped.byReason).toMatchObject({ agent_or_tool_span: expect.any(Number), not_a_request: expect.any(Number), duplicate_copy: expect.any(Number) });
    expect(s.partial.byReason).toMatchObject({ request_failed: expect.any(Number) });
    const reasons = Object.keys(s.rejected.byReason).join('\n');
    for (const r of [/^not valid JSON/m, /OTLP logs document/, /not a token count/]) expect(reasons).toMatch(r);
    expect(s.complete).toBeGreaterThan(5_000);
  });

  it.runIf(availableParallelism() >= 2)('uses threads by itself for a large file when the cores are idle', async () => {
    const auto = await run('auto-big', undefined, [big]);
    expect(auto.threadsStarted).toBe(2);
  });

  it.runIf(availableParallelism() >= 2)('stays on one thread for a large file when the cores are busy, with the same bytes', async () => {
    const busy = await run('busy-big', undefined, [big], [], ['--from', 'openai-batch'], '0.4');
    const two = await run('busy-two', '2', [big]);
    expect(busy.threadsStarted).toBe(0);
    expectSame(two, busy);
  });

  it('raises a failure in a worker thread as an error with the thread\'s stack, and closes without hanging', async () => {
    // The built pool (it starts dist/importers/worker.js); a setup no worker accepts makes the thread fail.
    const { WorkerPool } = (await import(join(ROOT, 'dist', 'importers', 'parallel.js'))) as typeof import('../../src/importers/parallel.js');
    const catalog = { entries: [], date: 'today', source: 'test' };
    const pool = new WorkerPool({ adapter: 'claude-code', map: {}, catalog, defaults: { dataMode: 'test', environment: 'dev' }, now: 0, rejects: false }, 2);
    const job = { bytes: new ArrayBuffer(8), length: 8, file: 'f.jsonl', linesBefore: 0, lines: 1 };
    const failure = await pool.convert(job).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(failure?.message).toMatch(/^an import worker thread failed: import worker: claude-code is not an adapter whose records are independent/);
    expect(failure?.stack).toMatch(/in the worker thread: .*worker\.js/s);
    // Once failed, the pool refuses more work at once rather than waiting on a dead thread.
    await expect(pool.convert({ ...job, bytes: new ArrayBuffer(8) })).rejects.toThrow(/worker thread failed/);
    await pool.close();
  });

  describe('in a run of several formats (--from auto), where a copy is also told by the provider request id another format wrote', () => {
    // Batch lines with no batch_req id or request_id are known by their chatcmpl- id, which an
    // app's log of the same requests (openai-log) also holds: every 4th such line is in the log,
    // every 3rd of those with one output token more, and some with no usage at all.
    const LINES = 6_000;
    const chatId = (i: number) => `chatcmpl-${i.toString(36).padStart(10, '0')}`;
    const body = (i: number, delta = 0) => ({
      id: chatId(i),
      object: 'chat.completion',
      created: 1757683200 + i * 37,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: `Answer ${i}` }, finish_reason: 'stop' }],
      ...(i % 10 === 4 ? {} : { usage: { prompt_tokens: 20 + (i % 300), completion_tokens: 5 + (i % 60) + delta, total_tokens: 25 + (i % 300) + (i % 60) + delta } }),
    });
    let batchFile: string;
    let logFile: string;
    let inLog = 0;
    let conflicts = 0;
    beforeAll(() => {
      const batch: string[] = [];
      const log: string[] = [];
      for (let i = 0; i < LINES; i++) {
        const known = i % 2 === 0; // known by its chatcmpl- id alone
        batch.push(JSON.stringify({ ...(known ? {} : { id: `batch_req_${i.toString(16).padStart(12, '0')}` }), custom_id: `request-${i}`, response: { status_code: 200, body: body(i) }, error: null }));
        if (i % 97 === 5) batch.push(batch.at(-1)!); // a copy within the file
        if (i % 389 === 7) batch.push('{"custom_id": ');
        if (known && i % 4 === 0) {
          const delta = i % 12 === 0 && i % 10 !== 4 ? 1 : 0;
          log.push(JSON.stringify(body(i, delta)));
          inLog++;
          if (delta) conflicts++;
        }
      }
      batchFile = join(dir, 'mixed_batch_output.jsonl');
      writeFileSync(batchFile, batch.join('\n') + '\n');
      logFile = join(dir, 'mixed_app_log.jsonl');
      writeFileSync(logFile, log.join('\n') + '\n');
    });

    it.each([
      ['the log first: the batch rows in the threads are the copies', () => [logFile, batchFile]],
      ['the batch first: the log rows on the main thread are the copies of rows the threads wrote', () => [batchFile, logFile]],
    ])('%s; the same bytes with threads and without', async (_, files) => {
      const off = await run('mixed-off', 'off', files(), [], []);
      const two = await run('mixed-two', '2', files(), [], []);
      expect(off.threadsStarted).toBe(0);
      expect(two.threadsStarted).toBe(2);
      expectSame(off, two);
      const s = JSON.parse(off.summary.toString()) as Record<string, any>;
      expect(s.format).toBe('mixed');
      expect(s.formats.map((f: { format: string }) => f.format)).toEqual(files()[0] === logFile ? ['openai-log', 'openai-batch'] : ['openai-batch', 'openai-log']);
      expect(inLog).toBeGreaterThan(700);
      // The copies within the batch file, and each request both logs hold, counted once.
      expect(s.skipped.byReason.duplicate_copy).toBe(Math.ceil(LINES / 97) + inLog);
      expect(s.notes).toContain(
        `${inLog.toLocaleString('en-US')} records repeat a provider request id another format of this run already imported (the same request in two logs): skipped as duplicate_copy — ⚠ ${conflicts} of them with other token counts than the copy kept (the first read)`,
      );
      expect(s.read).toBe(s.complete + s.partial.total + s.skipped.total + s.rejected.total);
      expect(s.rejected.total).toBe(Math.ceil(LINES / 389));
      expect(off.code).toBe(1);
    }, 60_000);

    it.runIf(availableParallelism() >= 2)('uses threads by itself for a large batch file among files of other formats, with the same bytes as without', async () => {
      const auto = await run('mixed-auto-big', undefined, [big, logFile], [], []);
      const off = await run('mixed-off-big', 'off', [big, logFile], [], []);
      expect(auto.threadsStarted).toBe(2);
      expect(JSON.parse(auto.summary.toString()).format).toBe('mixed');
      expectSame(off, auto);
    }, 60_000);
  });

  it('refuses a setting it does not know', async () => {
    const r = await runCli(['import', big, '--from', 'openai-batch', '-o', join(dir, 'x.jsonl')], { env: { OPSMETER_IMPORT_WORKERS: 'many' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OPSMETER_IMPORT_WORKERS must be off or a number of threads from 1 to 8/);
  });
});
