/**
 * Large JSONL files are parsed and linted in worker threads (docs/validate.md "Speed on a
 * large JSONL file"). Whatever the threads do, the report must be the same byte for byte as
 * on the main thread alone, in every format, with the same exit code. The built CLI runs a
 * generated multi-MB payload file — bad lines of every kind the reader knows, repeated ids
 * with the same and with other content, errors and warnings, CR and CRLF line ends, a byte
 * order mark, a line over the 10 MB cap, no final newline — with the threads forced on and
 * off. NODE_DEBUG=worker (Node's own trace) shows whether threads were started.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

let dir: string;
let big: string;
let second: string;

const payload = (i: number, over: Record<string, unknown> = {}) =>
  JSON.stringify({
    externalRequestId: `ext_${i.toString(36)}`,
    provider: i % 5 === 0 ? 'anthropic' : 'openai',
    model: i % 5 === 0 ? 'claude-sonnet-4-5' : 'gpt-4o-mini',
    promptVersion: 'v3',
    endpointTag: 'support.route',
    inputTokens: 20 + (i % 3000),
    outputTokens: 5 + (i % 600),
    totalTokens: 25 + (i % 3000) + (i % 600),
    latencyMs: 200 + (i % 900),
    status: 'success',
    dataMode: 'test',
    environment: 'dev',
    createdAt: '2026-02-28T10:00:00Z',
    ...over,
  });

/** Payload lines; every few lines something a real file can hold. */
function generate(lines: number, offset = 0, hugeLine = true): Buffer {
  const parts: Buffer[] = [Buffer.from([0xef, 0xbb, 0xbf])];
  const text = (s: string, end = '\n') => parts.push(Buffer.from(s + end, 'utf8'));
  for (let n = 0; n < lines; n++) {
    const i = n + offset;
    if (n % 97 === 3) text(payload(i, { latencyMs: undefined, promptVersion: undefined })); // warnings
    else if (n % 211 === 5) text(payload(i, { inputTokens: -1 })); // errors
    else if (n % 301 === 7) text(payload(i - 1)); // the same payload again: not a problem
    else if (n % 503 === 11) text(payload(i - 1, { model: 'gpt-4o' })); // the same id, other content
    else if (n % 401 === 17) text('{"externalRequestId": "broken", ');
    else if (n % 409 === 19) {
      text('');
      text('   \t');
    } else if (n % 419 === 23) text(`{"externalRequestId":"ext_dup${i}","externalRequestId":"again","provider":"openai"}`);
    else if (n % 421 === 29) text('[1, 2, 3]');
    else if (n % 433 === 37) text(payload(i), '\r\n');
    else if (n % 439 === 41) text(payload(i), '\r');
    else if (n % 443 === 43) parts.push(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]));
    else if (n % 449 === 47) text('{"externalRequestId": "nul\u0000byte"}');
    else if (n % 457 === 53) text(payload(i, { userId: `alice${i}@example.com` }));
    else if (n % 461 === 59) text(payload(i, { createdAt: 'yesterday', unknownField: 1 }));
    else if (hugeLine && n === Math.floor(lines / 2)) text(payload(i, { pad: 'x'.repeat(10.5 * 1024 * 1024) })); // over the 10 MB cap
    else if (n === Math.floor(lines / 3)) text(payload(i, { metadata: { deep: JSON.parse('['.repeat(3000) + ']'.repeat(3000)) } }));
    else text(payload(i));
  }
  text(payload(lines + offset), ''); // no final newline
  return Buffer.concat(parts);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'opsmeter-validate-workers-'));
  big = join(dir, 'events.jsonl');
  writeFileSync(big, generate(30_000));
  // A second file that repeats ids of the first (some with other content).
  second = join(dir, 'more.ndjson');
  writeFileSync(second, generate(3_000, 29_000));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  threadsStarted: number;
}

async function run(workers: string | undefined, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const r = await runCli(['validate', ...args], { env: { OPSMETER_VALIDATE_WORKERS: workers, NODE_DEBUG: 'worker', ...env }, timeoutMs: 120_000 });
  const lines = r.stderr.split('\n');
  // Node's worker trace: "WORKER <pid>: …" lines, one of them with the worker's options dumped over several lines.
  const own: string[] = [];
  let inDump = false;
  for (const l of lines) {
    if (inDump) inDump = !l.endsWith('isInternal: false');
    else if (l.startsWith('WORKER ')) inDump = l.includes('create new worker') && !l.endsWith('isInternal: false');
    else own.push(l);
  }
  return {
    code: r.code,
    stdout: r.stdout,
    stderr: own.join('\n'),
    threadsStarted: lines.filter((l) => /created Worker with ID/.test(l)).length,
  };
}

/** The run with threads off, with one and with two: the same report and exit code; returns the one-thread run. */
async function expectSameAcrossThreads(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const off = await run('off', args, env);
  expect(off.threadsStarted).toBe(0);
  for (const threads of ['1', '2']) {
    const on = await run(threads, args, env);
    expect(on.threadsStarted).toBe(Number(threads));
    expect(on.code).toBe(off.code);
    expect(on.stdout).toBe(off.stdout);
    expect(on.stderr).toBe(off.stderr);
  }
  return off;
}

describe('validate in worker threads', () => {
  it('reports the same problems, in the same order and positions, as the main thread alone (json, every problem)', async () => {
    const off = await expectSameAcrossThreads(['--format', 'json', big]);
    expect(off.code).toBe(1);
    const report = JSON.parse(off.stdout) as { summary: { records: number; errors: number; warnings: number }; byRule: Record<string, number> };
    // Every kind of problem the file holds is in it: the comparison is not of two empty reports.
    for (const rule of ['json/syntax', 'json/duplicate-key', 'json/encoding', 'json/line-too-long', 'payload/duplicate-external-request-id', 'payload/count', 'payload/missing-latency', 'payload/created-at']) {
      expect(Object.keys(report.byRule).some((k) => k.startsWith(rule)), rule).toBe(true);
    }
    expect(report.summary.records).toBeGreaterThan(29_000);
  });

  it.each([
    ['pretty, capped, with code frames', ['--max-errors', '40']],
    ['sarif', ['--format', 'sarif']],
    ['github', ['--format', 'github']],
    ['junit', ['--format', 'junit']],
    ['--bail', ['--bail']],
    ['--quiet', ['--quiet', '--format', 'json']],
    ['--quiet with --max-warnings (warnings counted, not listed)', ['--quiet', '--max-warnings', '5', '--format', 'json']],
    ['rule settings', ['--rule', 'payload/missing-latency=error', '--rule', 'payload/count=off', '--format', 'json']],
  ])('%s: the same report and exit code', async (_what, args) => {
    await expectSameAcrossThreads([...args, big]);
  });

  it('two files, the second repeating ids of the first: the same report', async () => {
    const off = await expectSameAcrossThreads(['--format', 'json', big, second]);
    expect(off.stdout).toMatch(/events\.jsonl:\d+ with different content/);
  });

  it('with the duplicate index spilled to temp files (repeats found at the end): the same report', async () => {
    await expectSameAcrossThreads(['--format', 'json', big, second], { OPSMETER_DUPLICATE_INDEX_ENTRIES: '2000' });
  });

  it('starts no thread for a small file unless told to, nor for stdin or a UTF-16 file', async () => {
    const small = join(dir, 'small.jsonl');
    writeFileSync(small, generate(300, 0, false));
    const auto = await run(undefined, ['--format', 'json', small]);
    expect(auto.threadsStarted).toBe(0);
    const forced = await run('2', ['--format', 'json', small]);
    expect(forced.threadsStarted).toBe(2);
    expect(forced.stdout).toBe(auto.stdout);
    const utf16 = join(dir, 'utf16.jsonl');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${payload(1)}\n`, 'utf16le')]));
    const wide = await run('2', ['--format', 'json', utf16]);
    expect(wide.threadsStarted).toBe(0);
    expect(wide.code).toBe(1);
    expect(wide.stdout).toMatch(/UTF-16/);
  });

  it.runIf(availableParallelism() >= 2)('uses threads by itself for a large file when the cores are idle', async () => {
    // OPSMETER_IDLE_CORES stands in for the sample of the cores (read/idle-cores.ts), so the test does not depend on the machine's load.
    const auto = await run(undefined, ['--format', 'json', big], { OPSMETER_IDLE_CORES: '2' });
    expect(auto.threadsStarted).toBe(2);
  });

  it.runIf(availableParallelism() >= 2)('stays on one thread for a large file when the cores are busy, with the same report', async () => {
    const busy = await run(undefined, ['--format', 'json', big], { OPSMETER_IDLE_CORES: '0.4' });
    expect(busy.threadsStarted).toBe(0);
    const forced = await run('2', ['--format', 'json', big]);
    expect(forced.threadsStarted).toBe(2);
    expect(busy.code).toBe(forced.code);
    expect(busy.stdout).toBe(forced.stdout);
  });

  it.runIf(availableParallelism() >= 2)('OPSMETER_IDLE_CORES that is not a number is a usage error', async () => {
    const r = await run(undefined, ['--format', 'json', big], { OPSMETER_IDLE_CORES: 'lots' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OPSMETER_IDLE_CORES must be a number of cores/);
  });

  it('an unreadable large file is exit 2 naming it, as without threads', async () => {
    const missing = join(dir, 'gone.jsonl');
    const off = await run('off', [missing]);
    const on = await run('2', [missing]);
    expect(on.code).toBe(off.code);
    expect(on.stderr).toBe(off.stderr);
  });

  it('refuses a setting it does not know', async () => {
    const r = await runCli(['validate', big], { env: { OPSMETER_VALIDATE_WORKERS: 'many' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/OPSMETER_VALIDATE_WORKERS must be off or a number of threads from 1 to 8/);
  });
});
