/**
 * Issue 12 end to end, through the built CLI: inputs and faults that used to lose rows,
 * crash or hang (CR-only line ends, damaged gzip, deep nesting, a malformed proxy, a dead
 * server, SIGTERM), and privacy leaks under --hash-user-ids.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { acceptingScript, startScriptedServer } from '../helpers/scripted-server.js';
import { waitFor } from '../helpers/wait.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'opsmeter-reliability-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const noStack = (stderr: string) => expect(stderr).not.toMatch(/internal error|\n\s+at /);
const payloadLines = (s: string) => s.split('\n').filter(Boolean);

describe('CR-only line ends', () => {
  it('a CR-only CSV export imports the same rows as its LF twin', async () => {
    const lf = readFileSync('fixtures/import/litellm/spend.csv', 'utf8');
    const cr = join(tmp, 'spend-cr.csv');
    writeFileSync(cr, lf.replace(/\r?\n/g, '\r'));
    const a = await runCli(['import', 'fixtures/import/litellm/spend.csv', '--from', 'litellm']);
    const b = await runCli(['import', cr, '--from', 'litellm']);
    noStack(b.stderr);
    expect(b.code).toBe(a.code);
    expect(b.stderr).toContain('read 10 = complete 6 + partial 3 + skipped 0 + rejected 1 ✔');
    expect(b.stdout).toBe(a.stdout);
  });

  it('validate reads a CR-only JSONL file line by line', async () => {
    const f = join(tmp, 'cr.jsonl');
    const lf = readFileSync('fixtures/payloads/valid/events.jsonl', 'utf8');
    writeFileSync(f, lf.replace(/\r?\n/g, '\r'));
    const a = await runCli(['validate', 'fixtures/payloads/valid/events.jsonl', '--format', 'json']);
    const b = await runCli(['validate', f, '--format', 'json']);
    expect(b.code).toBe(a.code);
    expect(JSON.parse(b.stdout).summary).toEqual(JSON.parse(a.stdout).summary);
  });
});

describe('a damaged gzip file', () => {
  const LITELLM = 'fixtures/import/litellm/spend.csv';
  it.each([
    ['trailing bytes', (gz: Buffer) => Buffer.concat([gz, Buffer.from('\n-- end of export --\n')]), /unexpected bytes after the end of the gzip data/],
    ['a bad CRC', (gz: Buffer) => {
      const b = Buffer.from(gz);
      b[b.length - 8]! ^= 0xff;
      return b;
    }, /CRC check failed/],
  ])('with %s keeps every record that decompressed and reports the damage (exit 1)', async (_n, damageIt, message) => {
    const plain = await runCli(['import', LITELLM, '--from', 'litellm']);
    const f = join(tmp, `damaged-${_n.replace(/\W/g, '')}.csv.gz`);
    writeFileSync(f, damageIt(gzipSync(readFileSync(LITELLM))));
    const rejects = join(tmp, `damaged-${_n.replace(/\W/g, '')}.rejects.jsonl`);
    const r = await runCli(['import', f, '--from', 'litellm', '--rejects', rejects]);
    noStack(r.stderr);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(plain.stdout);
    expect(payloadLines(r.stdout)).toHaveLength(9);
    expect(r.stderr).toContain('read 11 = complete 6 + partial 3 + skipped 0 + rejected 2 ✔');
    const rej = payloadLines(readFileSync(rejects, 'utf8')).map((l) => JSON.parse(l));
    expect(rej.at(-1).reason).toMatch(message);
    expect(rej.at(-1).reason).toMatch(/^damaged gzip file: .* \(the 11 lines before it were read\)$/);
  });
});

describe('deeply nested JSON (1e5 levels)', () => {
  const DEPTH = 100_000;
  const deepObject = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
  const litellmRecord = (field: string) => {
    const rec = JSON.parse(readFileSync('fixtures/import/litellm/spend-logs.json', 'utf8'))[0] as Record<string, unknown>;
    return '{' + Object.keys(rec).map((k) => `${JSON.stringify(k)}:${k === field ? deepObject : JSON.stringify(rec[k])}`).join(',') + '}';
  };
  it.each([
    ['a whole record', `[{"model":"gpt-4o","x":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}]`, /no custom_llm_provider/],
    ['a field the adapter reads', `[${litellmRecord('prompt_tokens')}]`, /nested too deeply to read/],
  ])('%s with --rejects: the row is rejected with a clear reason, no stack overflow', async (name, text, reason) => {
    const f = join(tmp, `deep-${name.replace(/\W/g, '')}.json`);
    const rejects = `${f}.rejects.jsonl`;
    writeFileSync(f, text);
    const r = await runCli(['import', f, '--from', 'litellm', '--rejects', rejects]);
    noStack(r.stderr);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('read 1 = complete 0 + partial 0 + skipped 0 + rejected 1 ✔');
    const [rej] = payloadLines(readFileSync(rejects, 'utf8')).map((l) => JSON.parse(l));
    expect(rej.reason).toMatch(reason);
    // The reader may hand on the record's own text; when it does not, re-serialising it
    // would overflow the stack, so raw is left out and the reason says so.
    if (rej.raw === null) expect(rej.reason).toMatch(/nested too deeply to copy into the rejects file/);
    else expect(rej.raw.length).toBeGreaterThan(2 * DEPTH);
  });
});

describe('a malformed proxy variable', () => {
  it.each([
    ['HTTPS_PROXY', '::bad'],
    ['HTTPS_PROXY', 'http://:3128'],
    ['HTTP_PROXY', 'socks5://proxy:1080'],
    ['https_proxy', 'proxy.example.com:3128'],
  ])('%s=%s is a usage error naming the variable (exit 2), not an internal error', async (name, value) => {
    const r = await runCli(['send', '--test', '--base-url', 'https://api.example.invalid', '--max-retries', '0'], {
      env: { [name]: value, OPSMETER_API_KEY: 'om_live_0123456789abcdef0123', HTTPS_PROXY: name === 'HTTPS_PROXY' ? value : undefined, HTTP_PROXY: name === 'HTTP_PROXY' ? value : undefined },
    });
    noStack(r.stderr);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`opsmeter: ${name} is not a proxy URL`);
    expect(r.stderr).not.toContain(value);
  });
});

const KEY = 'om_live_0123456789abcdef0123';

/** A loopback port nothing listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('a dead server', () => {
  it('send --test --count 2000 to a closed port stops soon, says the server is unreachable, exit 5', async () => {
    const port = await closedPort();
    const r = await runCli(['send', '--test', '--count', '2000', '--base-url', `http://127.0.0.1:${port}`, '--format', 'json'], { env: { OPSMETER_API_KEY: KEY }, timeoutMs: 60_000 });
    noStack(r.stderr);
    expect(r.code).toBe(5);
    const s = JSON.parse(r.stdout);
    expect(s.stop.reason).toBe('unreachable');
    expect(s.stop.message).toMatch(/^the server is unreachable: \d+ connection attempts in a row failed/);
    // Far fewer requests than 2000 events × 4 attempts: it stopped issuing.
    expect(s.requests).toBeLessThan(500);
    expect(s.outcomes['not-sent']).toBeGreaterThan(1500);
  });
});

describe('SIGTERM', () => {
  it('ends like SIGINT: in-flight requests finish, journal and summary are written, exit 143; every accepted row is journalled', async () => {
    const stored = new Map<string, unknown>();
    const accept = acceptingScript(stored);
    const server = await startScriptedServer(async (q) => {
      await new Promise((r) => setTimeout(r, 30));
      return accept(q);
    });
    try {
      const journal = join(tmp, 'sigterm-journal.jsonl');
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OPSMETER_')) env[k] = v;
      const child = spawn(process.execPath, [BIN, 'send', '--test', '--count', '512', '--concurrency', '8', '--journal', journal, '--base-url', server.url], {
        cwd: ROOT,
        env: { ...env, NO_COLOR: '1', TZ: 'UTC', OPSMETER_API_KEY: KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const killer = setTimeout(() => child.kill('SIGKILL'), 40_000); // never leave a stray process
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(killer), resolve(code))));
      await waitFor(() => stored.size >= 20, '20 rows stored');
      expect(stored.size).toBeGreaterThanOrEqual(20);
      child.kill('SIGTERM');
      const code = await exited;
      expect(code).toBe(143);
      expect(stderr).toContain('terminated (SIGTERM): stopped issuing requests and let the ones in flight finish.');
      expect(stderr).toMatch(/\d+ events? → /);
      const lines = readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      const accepted = new Set(lines.filter((e) => e.outcome === 'accepted').map((e) => e.externalRequestId));
      expect(accepted.size).toBeLessThan(512);
      // Every row the server stored is in the journal as accepted.
      expect(accepted).toEqual(new Set(stored.keys()));
    } finally {
      await server.close();
    }
  });
});

describe('--hash-user-ids leaves no raw identifier anywhere', () => {
  it('payloads, the rejects file and the summary hold only hashes of custom_id, user, end_user and e-mail-like values', async () => {
    const RAW = ['alice@example.com', 'bob@example.org', 'carol@example.net', 'dave@example.com', 'erin@example.com', '203.0.113.7'];
    const batch = readFileSync('fixtures/import/openai-batch/batch_68c3a1e9f0b48190_output.jsonl', 'utf8').replace(/^\uFEFF/, '').split('\n').filter(Boolean).slice(0, 2);
    const b = join(tmp, 'priv-batch.jsonl');
    writeFileSync(
      b,
      [
        batch[0]!.replace(/"custom_id":"[^"]*"/, '"custom_id":"alice@example.com"'),
        batch[1]!.replace(/"custom_id":"[^"]*"/, '"custom_id":"Bob <bob@example.org>"'),
        // Unparsable: its raw text cannot be scrubbed, so it is left out of the rejects file.
        '{"custom_id":"carol@example.net", "response": {',
      ].join('\n') + '\n',
    );
    const logs = JSON.parse(readFileSync('fixtures/import/litellm/spend-logs.json', 'utf8')) as Record<string, unknown>[];
    const l = join(tmp, 'priv-litellm.json');
    writeFileSync(
      l,
      JSON.stringify([
        { ...logs[0], end_user: 'dave@example.com' },
        // Rejected (no provider anywhere): the copied row must not show the identifiers.
        { ...logs[0], request_id: 'priv-2', custom_llm_provider: null, model: 'mystery', end_user: 'erin@example.com', metadata: { requester_ip_address: '203.0.113.7' } },
      ]),
    );
    const rejects = join(tmp, 'priv-rejects.jsonl');
    const summary = join(tmp, 'priv-summary.json');
    const runs = [
      await runCli(['import', b, '--from', 'openai-batch', '--hash-user-ids', 'pepper', '--rejects', rejects, '--summary-json', summary]),
    ];
    const texts = [runs[0]!.stdout, runs[0]!.stderr, readFileSync(rejects, 'utf8'), readFileSync(summary, 'utf8')];
    const r2 = await runCli(['import', l, '--from', 'litellm', '--hash-user-ids', 'pepper', '--rejects', rejects, '--summary-json', summary]);
    texts.push(r2.stdout, r2.stderr, readFileSync(rejects, 'utf8'), readFileSync(summary, 'utf8'));
    for (const r of [runs[0]!, r2]) noStack(r.stderr);
    expect(runs[0]!.code).toBe(1);
    expect(r2.code).toBe(1);
    const all = texts.join('\n');
    for (const raw of RAW) expect(all).not.toContain(raw);
    expect(all).not.toMatch(/alice|bob@|carol|dave@|erin@/);
    // The identifiers are there, hashed: customId and userId carry u_ + HMAC.
    const payloads = payloadLines(runs[0]!.stdout).map((x) => JSON.parse(x));
    expect(payloads.map((p) => p.metadata.customId)).toEqual([expect.stringMatching(/^u_[0-9a-f]{64}$/), expect.stringMatching(/^u_[0-9a-f]{64}$/)]);
    expect(JSON.parse(payloadLines(r2.stdout)[0]!).userId).toMatch(/^u_[0-9a-f]{64}$/);
    const rej = payloadLines(readFileSync(rejects, 'utf8')).map((x) => JSON.parse(x));
    expect(rej).toHaveLength(1);
    const copied = JSON.parse(rej[0].raw);
    expect(copied.end_user).toMatch(/^u_[0-9a-f]{64}$/);
    expect(copied.metadata.requester_ip_address).toMatch(/^u_[0-9a-f]{64}$/);
  });
});

describe('a JSON-escaped echo of the API key', () => {
  it('is redacted under --verbose like the plain key (\\u escapes, either case, and \\/)', async () => {
    const key = 'om_live_SECRET/4f2a9c';
    const jsonEscape = (s: string, all: boolean) => [...s].map((ch) => (all || ch === '_' ? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}` : ch === '/' ? '\\/' : ch)).join('');
    const echoes = [jsonEscape(key, false), jsonEscape(key, true).toLowerCase(), key];
    const server = await startScriptedServer(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: `{"ok":true,"echo":["${echoes.join('","')}"]}` }));
    try {
      const r = await runCli(['send', '--test', '--verbose', '--base-url', server.url], { env: { OPSMETER_API_KEY: key } });
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('"echo":["***","***","***"]');
      for (const e of echoes) expect(r.stderr).not.toContain(e);
      expect(r.stderr).not.toMatch(/SECRET|4f2a9c/);
    } finally {
      await server.close();
    }
  });
});
