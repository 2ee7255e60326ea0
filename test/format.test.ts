/** The number and table helpers of the text summaries (src/format.ts). */
import { describe, expect, it } from 'vitest';
import { count, percent, plural, table, usd } from '../src/format.js';

describe('format', () => {
  it('counts with thousands separators, signs kept, whole numbers', () => {
    expect([count(0), count(999), count(1000), count(1234567), count(-9304), count(12.6)]).toEqual(['0', '999', '1,000', '1,234,567', '-9,304', '13']);
    expect([plural(1, 'payload'), plural(2, 'payload'), plural(1200, 'day')]).toEqual(['1 payload', '2 payloads', '1,200 days']);
  });

  it('dollars: cents from a cent up (rounded, carried), six decimals below', () => {
    expect([usd(0), usd(0.999), usd(1234.5), usd(-2.005), usd(0.0003), usd(-0.004877), usd(-4e-10)]).toEqual(['$0.00', '$1.00', '$1,234.50', '-$2.01', '$0.000300', '-$0.004877', '$0.00']);
  });

  it('percentages with one decimal', () => {
    expect([percent(1), percent(0.5), percent(0.71876), percent(1.749)]).toEqual(['100.0%', '50.0%', '71.9%', '174.9%']);
  });

  it('tables: columns as wide as their widest cell, right-aligned where asked, no trailing spaces', () => {
    expect(table([['day', 'input'], ['2025-09-14', '4,096'], ['totals', '23,780']], ['left', 'right'])).toEqual(['day          input', '2025-09-14   4,096', 'totals      23,780']);
    expect(table([['a', ''], ['bb', '']])).toEqual(['a', 'bb']);
  });
});
