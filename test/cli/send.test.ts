/**
 * `opsmeter send` end to end: the built CLI against scripted servers on 127.0.0.1 —
 * exit codes, the words a user sees for each outcome, the key never leaking, the
 * safety refusals, --dry-run, and SIGINT + journal resume.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { acceptingScript, ok, scriptedServers } from '../helpers/scripted-server.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'om_live_SECRET_123';
const dir = mkdtempSync(join(tmpdir(), 'opsmeter-send-'));
const servers = scriptedServers();
const server = servers.start;
const env = { OPSMETER_API_KEY: KEY };

function payload(i: number, extra: Record<string, unknown> = {}) {
  return {
    externalRequestId: `ext_cli_${i}`,
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptVersion: 'v1',
    endpointTag: 'cli.test',
    inputTokens: 100,
    outputTokens: 20,
    totalTokens: 120,
    latencyMs: 300,
    status: 'success',
    dataMode: 'test',
    environment: 'staging',
    ...extra,
  };
}
function jsonl(name: string, rows: unknown[]): string {
  const f = join(dir, name);
  writeFileSync(f, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return f;
}

beforeAll(() => {
  // The e2e tests run the built CLI (npm test builds first).
  readFileSync(join(ROOT, 'dist', 'cli', 'send.js'));
});

describe('opsmeter send', () => {
  it('sends generated test events and exits 0 when all are accepted', async () => {
    const s = await server(acceptingScript());
    const r = await runCli(['send', '--test', '--count', '5', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(s.requests).toHaveLength(5);
    for (const q of s.requests) expect(q.json).toMatchObject({ dataMode: 'test', environment: 'staging' });
    expect(r.stderr).toMatch(/5 events → http:\/\/127\.0\.0\.1:\d+\/v1\/ingest\/llm-request/);
    expect(r.stderr).toMatch(/accepted\s+5/);
    expect(r.stderr).toContain('plan tier Free');
    expect(r.stdout).toBe('');
  });

  it('--demo goes to environment dev, and --use-demo-endpoint posts to /v1/ingest/demo', async () => {
    const s = await server(() => ok());
    const r = await runCli(['send', '--demo', '--count', '3', '--use-demo-endpoint', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(s.requests.map((q) => q.url)).toEqual(Array(3).fill('/v1/ingest/demo'));
    for (const q of s.requests) expect(q.json).toMatchObject({ dataMode: 'demo', environment: 'dev' });
  });

  it('--format json prints a machine summary on stdout', async () => {
    const s = await server((q) => (q.index === 0 ? ok({ budgetWarning: true, warnings: ['close to budget'] }) : ok()));
    const r = await runCli(['send', '--test', '--count', '3', '--seed', 'fixed', '--format', 'json', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      events: 3,
      outcomes: { accepted: 3, rejected: 0, 'not-sent': 0 },
      accepted: { planTier: 'Free', warningCount: 1, budgetWarning: 1 },
      stop: null,
      seed: 'fixed',
      exitCode: 0,
    });
  });

  it('surfaces the budget warning from success bodies once', async () => {
    const s = await server(() => ok({ budgetWarning: true }));
    const r = await runCli(['send', '--test', '--count', '4', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(r.stderr.match(/budget warning threshold reached/g)).toHaveLength(1);
  });

  it('sends payload files and stdin', async () => {
    const s = await server(acceptingScript());
    const f = jsonl('two.jsonl', [payload(1), payload(2)]);
    const r1 = await runCli(['send', f, '--base-url', s.url], { env });
    expect(r1.code).toBe(0);
    const r2 = await runCli(['send', '--base-url', s.url], { env, input: JSON.stringify(payload(3)) + '\n' + JSON.stringify(payload(4)) + '\n' });
    expect(r2.code).toBe(0);
    expect(s.requests.map((q) => (q.json as { externalRequestId: string }).externalRequestId)).toEqual(expect.arrayContaining(['ext_cli_1', 'ext_cli_2', 'ext_cli_3', 'ext_cli_4']));
  });

  it('400: rejected, shows the server message, exit 1', async () => {
    const s = await server((q) => (q.index === 1 ? { status: 400, body: { ok: false, errors: [{ pointer: '/model', message: 'model "gpt-9" is not supported' }] } } : ok()));
    const f = jsonl('three.jsonl', [payload(1), payload(2), payload(3)]);
    const r = await runCli(['send', f, '--concurrency', '1', '--base-url', s.url], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/model: model "gpt-9" is not supported');
    expect(r.stderr).toMatch(/rejected\s+1/);
    expect(r.stderr).toMatch(/accepted\s+2/);
  });

  it('402 plan_limit_reached: paused, says LLM calls keep running and to raise the plan, the rest not sent, exit 3', async () => {
    const s = await server((q) => (q.index >= 2 ? { status: 402, body: { reason: 'plan_limit_reached', telemetryPaused: true } } : ok()));
    const r = await runCli(['send', '--test', '--count', '10', '--concurrency', '1', '--base-url', s.url], { env });
    expect(r.code).toBe(3);
    expect(s.requests).toHaveLength(3);
    expect(r.stderr).toContain('telemetry is paused');
    expect(r.stderr).toContain('LLM calls keep running');
    expect(r.stderr).toMatch(/plan limit is raised/);
    expect(r.stderr).toMatch(/not sent\s+7\s+7 after the stop/);
  });

  it('402 with another reason: budget hard stop, exit 3', async () => {
    const s = await server(() => ({ status: 402, body: { reason: 'budget_exceeded', telemetryPaused: false } }));
    const r = await runCli(['send', '--test', '--count', '3', '--concurrency', '1', '--base-url', s.url], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("budget hard stop (402 reason budget_exceeded)");
    expect(r.stderr).not.toContain('telemetry is paused');
  });

  it('401: stops, hints at OPSMETER_API_KEY, exit 4', async () => {
    const s = await server(() => ({ status: 401, body: { message: 'invalid API key' } }));
    const r = await runCli(['send', '--test', '--count', '3', '--concurrency', '1', '--base-url', s.url], { env });
    expect(r.code).toBe(4);
    expect(s.requests).toHaveLength(1);
    expect(r.stderr).toContain('the API key was refused (HTTP 401: invalid API key)');
    expect(r.stderr).toContain('OPSMETER_API_KEY');
  });

  it('503 retried, then given up: exit 5', async () => {
    const s = await server(() => ({ status: 503, body: 'unavailable' }));
    const r = await runCli(['send', '--test', '--max-retries', '2', '--base-url', s.url], { env });
    expect(r.code).toBe(5);
    expect(s.requests).toHaveLength(3);
    expect(new Set(s.requests.map((q) => q.body)).size).toBe(1);
    expect(r.stderr).toMatch(/gave up\s+1/);
    expect(r.stderr).toContain('HTTP 503: unavailable (after 2 retries)');
  });

  it('503 then 200: accepted after a retry, exit 0', async () => {
    const s = await server((q) => (q.index === 0 ? { status: 503 } : ok()));
    const r = await runCli(['send', '--test', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(s.requests).toHaveLength(2);
    expect(r.stderr).toMatch(/retries\s+1/);
  });

  it('a server that never answers: times out, exit 5', async () => {
    const s = await server(() => 'hang');
    const r = await runCli(['send', '--test', '--timeout', '300', '--max-retries', '1', '--base-url', s.url], { env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('no response within 300 ms');
  });

  it('nothing listening: connection refused, exit 5', async () => {
    const url = await servers.deadUrl();
    const r = await runCli(['send', '--test', '--max-retries', '1', '--base-url', url], { env });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('connection refused');
  });

  it('429: prints "throttled, retrying after Ns" and retries with the same externalRequestId', async () => {
    const s = await server((q) => (q.index === 0 ? { status: 429, headers: { 'retry-after': '1' } } : ok()));
    const r = await runCli(['send', '--test', '--base-url', s.url], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('throttled, retrying after 1s');
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]!.body).toBe(s.requests[1]!.body);
    expect(r.stderr).toMatch(/throttled\s+1\s+429 responses on 1 event/);
  });

  it('429 with an HTTP-date Retry-After is honoured too', async () => {
    const s = await server((q) => (q.index === 0 ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 2000).toUTCString() } } : ok()));
    const r = await runCli(['send', '--test', '--base-url', s.url], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/throttled, retrying after [12]s/);
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('never shows the API key: stdout, stderr, --verbose and the journal', async () => {
    // A hostile server that echoes the key back in every error message.
    const s = await server((q) => {
      const k = String(q.headers['x-api-key']);
      if (q.index === 0) return { status: 400, body: { message: `bad payload for key ${k}` } };
      if (q.index === 1) return { status: 503, body: `key ${k} overloaded` };
      if (q.index === 2) return ok({ warnings: [`hello ${k}`] });
      return { status: 401, body: { message: `key ${k} revoked` } };
    });
    const journal = join(dir, 'leak-journal.jsonl');
    const keyFile = join(dir, 'key.txt');
    writeFileSync(keyFile, KEY + '\n');
    const runs = [
      await runCli(['send', '--test', '--count', '4', '--concurrency', '1', '--verbose', '--journal', journal, '--base-url', s.url], { env }),
      await runCli(['send', '--test', '--count', '2', '--format', 'json', '--api-key-file', keyFile, '--base-url', s.url], {}),
    ];
    expect(s.requests.every((q) => q.headers['x-api-key'] === KEY)).toBe(true);
    expect(runs[0]!.stderr).toContain('> X-API-Key: ***');
    expect(runs[0]!.stderr).toContain('bad payload for key ***');
    for (const r of runs) {
      expect(r.stdout).not.toContain(KEY);
      expect(r.stderr).not.toContain(KEY);
      expect(r.stderr).not.toContain('SECRET');
    }
    const j = readFileSync(journal, 'utf8');
    expect(j).not.toContain(KEY);
    expect(j).toContain('***');
  });

  it('refuses dataMode real (or absent) without --allow-real: nothing sent, exit 1', async () => {
    const s = await server(() => ok());
    const f = jsonl('real.jsonl', [payload(1, { dataMode: 'real', environment: 'prod' }), payload(2, { dataMode: undefined, environment: undefined })]);
    const r = await runCli(['send', f, '--base-url', s.url], { env });
    expect(r.code).toBe(1);
    expect(s.requests).toHaveLength(0);
    expect(r.stderr).toMatch(/not sent\s+2\s+2 dataMode real refused/);
    expect(r.stderr).toContain('--allow-real');
    const ok2 = await runCli(['send', f, '--allow-real', '--base-url', s.url], { env });
    expect(ok2.code).toBe(0);
    expect(s.requests).toHaveLength(2);
  });

  it('invalid payloads are not sent and are reported with their line', async () => {
    const s = await server(() => ok());
    const f = join(dir, 'mixed.jsonl');
    writeFileSync(f, JSON.stringify(payload(1)) + '\n{"provider": \n' + JSON.stringify(payload(3, { status: 'ok' })) + '\n');
    const r = await runCli(['send', f, '--base-url', s.url], { env });
    expect(r.code).toBe(1);
    expect(s.requests).toHaveLength(1);
    expect(r.stderr).toContain(`${f}:2`);
    expect(r.stderr).toMatch(/mixed\.jsonl:3 ext_cli_3: \/status: status must be one of/);
    expect(r.stderr).toMatch(/not sent\s+2\s+2 invalid/);
  });

  it('--dry-run validates and prints what would be sent, sends nothing, needs no key', async () => {
    const s = await server(() => ok());
    const f = jsonl('dry.jsonl', [payload(1), payload(2, { dataMode: 'real' }), payload(3)]);
    const r = await runCli(['send', f, '--dry-run', '--base-url', s.url], {});
    expect(r.code).toBe(1);
    expect(s.requests).toHaveLength(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.externalRequestId)).toEqual(['ext_cli_1', 'ext_cli_3']);
    expect(r.stderr).toContain('dry run: 2 of 3 events would be sent');
    const gen = await runCli(['send', '--test', '--count', '3', '--dry-run', '--base-url', s.url], {});
    expect(gen.code).toBe(0);
    expect(gen.stdout.trim().split('\n')).toHaveLength(3);
    expect(s.requests).toHaveLength(0);
  });

  // The flag errors planSend finds, and plain http:// refused, are tested in-process
  // (send-plan.test.ts); here one of them end to end, and the errors that need a file.
  it('usage errors exit 2 with one clear line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['send', '--test', '--demo'], /one of --test and --demo/],
      [['send', join(dir, 'missing.jsonl')], /no such file/],
      [['send', '--test', '--api-key-file', join(dir, 'nokey')], /cannot read the API key file/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { env: args.includes('--api-key-file') ? {} : env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('SIGINT mid-send writes the journal and the summary, exits 130; a resumed run sends only what is left', async () => {
    const stored = new Map<string, unknown>();
    const accept = acceptingScript(stored);
    const s = await server(async (q) => {
      await new Promise((r) => setTimeout(r, 40));
      return accept(q);
    });
    const N = 200;
    const f = jsonl('sigint.jsonl', Array.from({ length: N }, (_, i) => payload(i + 1)));
    const journal = join(dir, 'sigint-journal.jsonl');
    const args = ['send', f, '--concurrency', '2', '--journal', journal, '--base-url', s.url];

    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...cleanEnv(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000); // never leave a stray process
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
    await waitFor(() => stored.size >= 10, '10 rows stored');
    expect(stored.size).toBeGreaterThanOrEqual(10);
    child.kill('SIGINT');
    const code = await exited;
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted');

    const first = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const acceptedFirst = first.filter((e) => e.outcome === 'accepted').map((e) => e.externalRequestId);
    expect(acceptedFirst.length).toBeGreaterThanOrEqual(10);
    expect(acceptedFirst.length).toBeLessThan(N);
    // Everything the server stored was journalled as accepted (in-flight requests finished).
    expect(new Set(acceptedFirst)).toEqual(new Set(stored.keys()));
    const requestsBefore = s.requests.length;

    const resumed = await runCli(args, { env });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`${acceptedFirst.length} events already accepted will be skipped`);
    const resent = s.requests.slice(requestsBefore).map((q) => (q.json as { externalRequestId: string }).externalRequestId);
    expect(resent.length).toBe(N - acceptedFirst.length);
    expect(resent.some((id) => acceptedFirst.includes(id))).toBe(false);
    expect(stored.size).toBe(N);
    // No id reached the server twice across both runs.
    expect(s.requests.length).toBe(N);
  });
});

describe('opsmeter send reading a stdin that never ends', () => {
  it('SIGINT still stops it: exit 130 with the summary of what was sent', async () => {
    const stored = new Map<string, unknown>();
    const s = await server(acceptingScript(stored));
    const child = spawn(process.execPath, [BIN, 'send', '--base-url', s.url], { cwd: ROOT, env: { ...cleanEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 40_000); // never leave a stray process
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
    child.stdin.write([1, 2, 3].map((i) => JSON.stringify(payload(i))).join('\n') + '\n');
    await waitFor(() => stored.size >= 3, '3 rows stored');
    expect(stored.size).toBe(3);
    child.kill('SIGINT');
    const code = await exited;
    child.stdin.destroy();
    expect(code).toBe(130);
    expect(stderr).toMatch(/3 events →/);
    expect(stderr).toMatch(/accepted\s+3/);
    expect(stderr).toContain('the rest of the input was not read (interrupted)');
  });
});

function cleanEnv(): Record<string, string> {
  const e: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) e[k] = v;
  return { ...e, NO_COLOR: '1', TZ: 'UTC', XDG_CACHE_HOME: join(ROOT, '.test-cache') };
}
