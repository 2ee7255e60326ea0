/**
 * End-to-end: the built CLI's `validate` on the PII forms issue 21 added (src/contract/pii.ts):
 * card numbers, IBANs, obfuscated, full-width and local e-mails, networks and dotted octal
 * IPv4 in `userId` are errors (payload/pii-user-id), in `metadata` warnings (payload/pii-value),
 * and realistic ids next to them (snowflakes, order numbers, hashes, bare integers) pass.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-validate-pii-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const payload = (n: number, userId: string, metadata?: Record<string, string>) =>
  JSON.stringify({
    externalRequestId: `ext_pii_${n}`,
    provider: 'openai',
    model: 'gpt-4o-mini',
    promptVersion: 'v1',
    endpointTag: 'checkout.ai_summary',
    inputTokens: 10,
    outputTokens: 2,
    latencyMs: 300,
    status: 'success',
    userId,
    ...(metadata ? { metadata } : {}),
  });

const FLAGGED: [string, string][] = [
  ['4111 1111 1111 1111', 'a payment card number'],
  ['5555555555554444', 'a payment card number'],
  ['DE89 3704 0044 0532 0130 00', 'an IBAN'],
  ['alice(at)example.com', 'an e-mail address'],
  ['alice [at] example [dot] com', 'an e-mail address'],
  ['alice＠example.com', 'an e-mail address'],
  ['alice@localhost', 'an e-mail address'],
  ['192.168.1.0/24', 'an IPv4 address'],
  ['0300.0250.0001.0001', 'an IPv4 address'],
];
const PASSING = ['1234567890123456785', '112-4567890-1234567', 'u_ab12c3d4e5f60718293a4b5c6d7e8f90', '550e8400-e29b-41d4-a716-446655440000', '3232235777'];

describe('validate: the PII forms of issue 21', () => {
  it('flags each form in userId as an error and in metadata as a warning; realistic ids pass; exit 1', async () => {
    const lines = [
      ...FLAGGED.map(([id], i) => payload(i + 1, id)),
      ...PASSING.map((id, i) => payload(100 + i, id)),
      payload(200, 'u_1', { contact: 'GB82 WEST 1234 5698 7654 32', card: '3782 822463 10005' }),
    ];
    const file = join(tmp, 'pii.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['validate', '--format', 'json', file]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { problems: { line: number; rule: string; message: string }[] };
    const errors = report.problems.filter((p) => p.rule === 'payload/pii-user-id');
    expect(errors.map((p) => [p.line, p.message])).toEqual(FLAGGED.map(([, kind], i) => [i + 1, `userId looks like ${kind}; the API forbids PII`]));
    const warnings = report.problems.filter((p) => p.rule === 'payload/pii-value');
    expect(warnings.map((p) => [p.line, p.message])).toEqual([
      [lines.length, 'metadata.contact looks like an IBAN; the API forbids PII anywhere in a payload'],
      [lines.length, 'metadata.card looks like a payment card number; the API forbids PII anywhere in a payload'],
    ]);
    expect(report.problems.filter((p) => p.line > FLAGGED.length && p.line < lines.length)).toEqual([]);
  });
});
