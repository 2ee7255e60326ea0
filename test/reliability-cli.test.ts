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
import { runCli } from './helpers/cli.js';

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
    expect(rej.reason).toMatch(/nested too deeply to copy into the rejects file/);
    expect(rej.raw).toBeNull();
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
