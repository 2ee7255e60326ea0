/**
 * The PII detector on a table of variants seen in real exports and logs: every positive
 * must be caught, every negative (hashes, ids, dates, times, numbers, versions) left alone.
 * The printed hit rate is the closing figure of issue 12.
 */
import { describe, expect, it } from 'vitest';
import { piiKind, type PiiKind } from '../../src/contract/pii.js';

const EMAIL: PiiKind = 'an e-mail address';
const PHONE: PiiKind = 'a phone number';
const V4: PiiKind = 'an IPv4 address';
const V6: PiiKind = 'an IPv6 address';

const POSITIVES: [string, PiiKind][] = [
  ['jane.doe@example.com', EMAIL],
  ['JANE.DOE@EXAMPLE.COM', EMAIL],
  ['  jane.doe@example.com  ', EMAIL],
  ['jane.doe@example.com\n', EMAIL],
  ['Alice <a@x.com>', EMAIL],
  ['"Alice Example" <alice@example.co.uk>', EMAIL],
  ['mailto:alice@example.com', EMAIL],
  ['alice%40example.com', EMAIL],
  ['JANE+billing@mail.example.co.uk', EMAIL],
  ['user: bob@example.org', EMAIL],
  ['alice@example.com,bob@example.com', EMAIL],
  ['+1 (415) 555-0134', PHONE],
  ['+14155550134', PHONE],
  ['+44 20 7946 0958', PHONE],
  ['415-555-0134', PHONE],
  ['(415) 555-0134', PHONE],
  ['415.555.0134', PHONE],
  ['tel:+1-415-555-0134', PHONE],
  ['TEL:+49 30 1234567', PHONE],
  ['+1 415 555 0134 ext. 12', PHONE],
  ['555-0134', PHONE],
  ['203.0.113.7', V4],
  [' 203.0.113.7 ', V4],
  ['203.0.113.7:8080', V4],
  ['::ffff:203.0.113.7', V4],
  ['::FFFF:198.51.100.23', V4],
  ['ip:198.51.100.23', V4],
  ['2001:db8::1', V6],
  ['2001:0db8:85a3:0000:0000:8a2e:0370:7334', V6],
  ['fe80::1ff:fe23:4567:890a', V6],
  ['fe80::1%eth0', V6],
  ['[2001:db8::1]:443', V6],
];

const NEGATIVES: string[] = [
  'u_9f86d081884c7d659a2feaa0',
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '550e8400-e29b-41d4-a716-446655440000',
  '1234567',
  '4155550134',
  'user-12345',
  'customer:42',
  'a@b',
  '@alice',
  'alice@localhost',
  'ext_2026-03-01',
  '2026-03-01',
  '01.03.2026',
  '2026-03-01T12:00:00Z',
  '12:34:56',
  '0.000123456',
  '1234567.89',
  'v1.2.3',
  '10.2.3',
  '999.1.1.1',
  'checkout.ai_summary',
  'summarizer_v3',
  'gpt-4o-mini-2024-07-18',
  'batch_req_6797e8f2d1c0819095c53bcd6dc3e8d1',
  'acme-prod',
  '',
];

describe('piiKind on a table of variants', () => {
  it.each(POSITIVES)('%j is %s', (value, kind) => {
    expect(piiKind(value)).toBe(kind);
  });
  it.each(NEGATIVES)('%j is not PII', (value) => {
    expect(piiKind(value)).toBeUndefined();
  });
  it('hit rate: every positive caught, no negative flagged', () => {
    const caught = POSITIVES.filter(([v]) => piiKind(v) !== undefined).length;
    const falseHits = NEGATIVES.filter((v) => piiKind(v) !== undefined).length;
    console.log(`PII detector: ${caught}/${POSITIVES.length} positives caught, ${falseHits}/${NEGATIVES.length} negatives flagged`);
    expect(caught).toBe(POSITIVES.length);
    expect(falseHits).toBe(0);
  });
  it('a long text is judged by its first kilobyte (bounded cost)', () => {
    expect(piiKind('x'.repeat(5000) + ' jane@example.com')).toBeUndefined();
    expect(piiKind('contact jane@example.com ' + 'x'.repeat(5000))).toBe(EMAIL);
  });
});
