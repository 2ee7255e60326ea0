/**
 * Every rule in the registry has fixtures in fixtures/payloads/rules/<id with / → __>/:
 * an ok.* that validates with no problem at all, and a bad.* that triggers exactly that
 * rule (plus the incidental rules listed here) at the expected line:column. The positions
 * are also checked against the file text independently of the locator: the text found at
 * each line:column must start with the expected token.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_RULES } from '../../src/contract/rules.js';
import { MAX_LINE_BYTES } from '../../src/read/lines.js';
import { ROOT } from '../helpers/cli.js';
import { PAYLOAD_FIXTURES, validateFiles } from '../helpers/payloads.js';

const RULES_DIR = join(PAYLOAD_FIXTURES, 'rules');
const dirOf = (id: string) => join(RULES_DIR, id.replace(/\//g, '__'));

interface Expectation {
  /** Each problem of this rule in bad.*, in order: "line:column" and the text that starts there. */
  at: [string, string][];
  /** Substring of the first problem's message. */
  message?: string;
  /** The first problem's hint, exactly. */
  hint?: string;
  /** Other rules the bad fixture may trigger, and why. */
  incidental?: string[];
  /** bad.* is too big to commit: the test writes it. */
  generate?: (dir: string) => string;
}

const tmp = mkdtempSync(join(tmpdir(), 'opsmeter-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const OK_LINE = readFileSync(join(dirOf('json/line-too-long'), 'ok.jsonl'), 'utf8').split('\n')[0]!;

const EXPECT: Record<string, Expectation> = {
  'json/syntax': { at: [['2:80', '']], message: 'expected "}" — the object is not closed (truncated?)' },
  'json/duplicate-key': { at: [['5:3', '"model": "gpt-4o"']], message: 'key "model" appears twice in one object' },
  'json/line-too-long': {
    at: [['2:1', '{"pad":"xxx']],
    message: 'line is longer than 10 MB; skipped',
    generate: (dir) => {
      const path = join(dir, 'line-too-long.jsonl');
      const huge = '{"pad":"' + 'x'.repeat(MAX_LINE_BYTES) + '"}';
      writeFileSync(path, `${OK_LINE}\n${huge}\n${OK_LINE.replace('ext_rule_', 'ext_rule_after_')}\n`);
      return path;
    },
  },
  'json/encoding': { at: [['2:1', '{"externalRequestId":"ext_bin_0002"']], message: 'line is not valid UTF-8' },
  'payload/not-object': {
    at: [
      ['2:1', '["openai"'],
      ['3:1', '"ext_rule_0000"'],
    ],
    message: 'a payload must be a JSON object, got an array',
  },
  'file/empty': { at: [['1:1', '[]']], message: 'no payloads: the array is empty' },
  'payload/required': { at: [['16:3', '{']], message: 'status is required' },
  'payload/type': {
    at: [
      ['1:162', '"120"'],
      ['2:287', '42'],
      ['3:285', 'false'],
    ],
    message: 'inputTokens must be a JSON number, got the string "120"',
    hint: 'write 120 without quotes',
  },
  'payload/string-length': {
    at: [
      ['1:96', '"vvvv'],
      ['2:126', '""'],
    ],
    message: 'promptVersion is 257 characters long; the limit is 256',
  },
  'payload/enum': {
    at: [
      ['1:269', '"Prod"'],
      ['2:227', '"ok"'],
    ],
    hint: 'use "prod" (exact lowercase)',
  },
  'payload/count': {
    at: [
      ['1:181', '12.5'],
      ['2:162', '-3'],
      ['3:214', '1e400'],
    ],
    message: 'outputTokens must be a whole number, got 12.5',
  },
  'payload/usage-missing': {
    at: [
      ['1:1', '{'],
      ['1:1', '{'],
    ],
    message: 'inputTokens is missing and the payload is not marked partial',
  },
  'payload/partial-mark': {
    at: [
      ['1:248', '"partial"'],
      ['2:274', '"timeout"'],
      ['3:302', '"Partial"'],
    ],
    message: 'metadata.partialReason is missing',
    hint: 'one of usage_missing, request_failed, batch_expired, batch_canceled, not_measured',
  },
  'payload/created-at': {
    at: [
      ['1:288', '"2026-03-01 11:00:00"'],
      ['2:288', '"yesterday"'],
    ],
    hint: 'if it is UTC, write "2026-03-01T11:00:00Z"',
  },
  'payload/metadata': {
    at: [
      ['1:309', '["a","b"]'],
      ['2:287', '"region=eu"'],
    ],
    message: 'metadata.tags is an array',
  },
  'payload/pii-user-id': {
    at: [
      ['1:285', '"jane.doe@example.com"'],
      ['2:285', '"+1 (415) 555-0134"'],
      ['3:285', '"203.0.113.7"'],
      ['4:285', '"2001:db8::1"'],
    ],
    message: 'userId looks like an e-mail address',
  },
  'payload/pii-value': {
    at: [
      ['1:287', '"billing@acme.example"'],
      ['2:299', '"Alice <alice@example.com>"'],
      ['2:338', '"203.0.113.7:51234"'],
    ],
    message: 'tenantId looks like an e-mail address; the API forbids PII anywhere in a payload',
  },
  'payload/missing-external-request-id': { at: [['1:1', '{']] },
  'payload/duplicate-external-request-id': {
    // Line 4 repeats line 2's id with the same content: a retry, not a conflict.
    at: [['3:22', '"ext_rule_0056"']],
    message: 'was already used at line 1 with different content',
  },
  'payload/total-mismatch': { at: [['1:198', '170']], message: 'totalTokens is 170 but inputTokens + outputTokens is 165' },
  'catalog/unknown-provider': {
    at: [
      ['1:49', '"open-ai"'],
      ['2:49', '"opnai"'],
      ['3:49', '"acme-llm"'],
    ],
    hint: 'did you mean "openai"?',
  },
  'catalog/unknown-model': {
    at: [
      ['1:66', '"gpt-4.1"'],
      ['2:66', '"gpt-4o-mini-foo"'],
    ],
    hint: 'did you mean "gpt-4-1"?',
  },
  'payload/missing-prompt-version': { at: [['1:1', '{']] },
  'payload/missing-endpoint-tag': { at: [['1:1', '{']] },
  'payload/placeholder-value': {
    // Line 1 is the official Node SDK's payload when no promptVersion or feature is set.
    at: [
      ['1:111', '"unknown"'],
      ['1:135', '"sdk.unknown"'],
      ['2:161', '"N/A"'],
    ],
    message: 'promptVersion is the placeholder "unknown"',
  },
  'payload/missing-latency': { at: [['1:1', '{']] },
  'payload/zero-usage': {
    // Line 1 is the official Node SDK's payload when the provider returned no usage.
    at: [
      ['1:177', '0'],
      ['2:162', '0'],
    ],
    message: 'inputTokens and outputTokens are both 0',
  },
  'payload/error-code-on-success': { at: [['1:288', '"rate_limit_exceeded"']] },
  'payload/error-code-missing': {
    at: [
      ['1:1', '{'],
      ['2:1', '{'],
    ],
  },
  'payload/mode-environment-mix': {
    at: [
      ['1:269', '"staging"'],
      ['2:269', '"prod"'],
      ['3:248', '"demo"'],
      ['4:251', '"dev"'],
    ],
  },
  'payload/unknown-field': {
    at: [
      ['14:3', '"input_tokens"'],
      ['15:3', '"traceId"'],
    ],
    hint: 'did you mean "inputTokens"?',
  },
  'payload/created-at-future': { at: [['1:288', '"2026-03-02T12:00:00Z"']], message: 'lies in the future' },
  'payload/created-at-old': { at: [['1:288', '"2026-02-01T00:00:00Z"']], message: 'is more than 14 days old' },
};

function textAt(path: string, lineCol: string, length: number): string {
  const [line, col] = lineCol.split(':').map(Number) as [number, number];
  const lineText = readFileSync(path, 'latin1').split('\n')[line - 1] ?? '';
  return Buffer.from(lineText, 'latin1').toString('utf8').slice(col - 1, col - 1 + length);
}

describe('the rule table in README.md and docs/validate.md', () => {
  it('is exactly what scripts/rule-table.mjs prints from the registry (needs the build)', () => {
    const table = execFileSync(process.execPath, [join(ROOT, 'scripts', 'rule-table.mjs')], { encoding: 'utf8' });
    expect(table.split('\n').length).toBe(ALL_RULES.length + 3);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(table);
    expect(readFileSync(join(ROOT, 'docs', 'validate.md'), 'utf8')).toContain(table);
  });
});

describe('rule fixtures', () => {
  it('every rule has an expectation here, and every fixture directory belongs to a rule', () => {
    expect(Object.keys(EXPECT).sort()).toEqual(ALL_RULES.map((r) => r.id).sort());
    expect(readdirSync(RULES_DIR).sort()).toEqual(ALL_RULES.map((r) => r.id.replace(/\//g, '__')).sort());
  });

  for (const rule of ALL_RULES) {
    describe(rule.id, () => {
      const dir = dirOf(rule.id);
      const files = (() => {
        try {
          return readdirSync(dir);
        } catch {
          return [];
        }
      })();
      const exp = EXPECT[rule.id];

      it('has an ok.* and a bad.* fixture (or a generated bad case)', () => {
        expect(files.filter((f) => f.startsWith('ok.'))).toHaveLength(1);
        expect(files.filter((f) => f.startsWith('bad.')).length + (exp?.generate ? 1 : 0)).toBe(1);
      });

      it('ok.* validates with no problem at all', async () => {
        const ok = files.find((f) => f.startsWith('ok.'));
        expect(ok).toBeDefined();
        const r = await validateFiles([join(dir, ok!)]);
        expect(r.problems).toEqual([]);
        expect(r.counts.records).toBeGreaterThan(0);
      });

      it(`bad.* triggers ${rule.id} exactly where expected`, async () => {
        expect(exp).toBeDefined();
        const bad = exp!.generate ? exp!.generate(tmp) : join(dir, files.find((f) => f.startsWith('bad.'))!);
        const r = await validateFiles([bad]);
        const allowed = new Set([rule.id, ...(exp!.incidental ?? [])]);
        expect(r.problems.filter((p) => !allowed.has(p.rule))).toEqual([]);
        const mine = r.problems.filter((p) => p.rule === rule.id);
        expect(mine.map((p) => `${p.line}:${p.column}`)).toEqual(exp!.at.map(([lc]) => lc));
        expect(mine.every((p) => p.severity === rule.severity)).toBe(true);
        for (const [lc, token] of exp!.at) expect(textAt(bad, lc, token.length), `text at ${lc}`).toBe(token);
        if (exp!.message) expect(mine[0]!.message).toContain(exp!.message);
        if (exp!.hint) expect(mine[0]!.hint).toBe(exp!.hint);
        expect(r.byRule[rule.id]).toBe(exp!.at.length);
      });
    });
  }
});
