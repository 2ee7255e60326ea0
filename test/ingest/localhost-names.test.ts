/**
 * `*.localhost` names are loopback only when they resolve to loopback: a resolver (or
 * /etc/hosts) that sends `evil.localhost` elsewhere must not get the API key over plain http.
 */
import { describe, expect, it, vi } from 'vitest';

const answers: Record<string, { address: string; family: number }[]> = {
  'app.localhost': [
    { address: '127.0.0.1', family: 4 },
    { address: '::1', family: 6 },
  ],
  'evil.localhost': [{ address: '203.0.113.9', family: 4 }],
  'mixed.localhost': [
    { address: '127.0.0.1', family: 4 },
    { address: '203.0.113.9', family: 4 },
  ],
};
vi.mock('node:dns/promises', () => ({
  lookup: async (host: string) => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return a;
  },
}));

const { isLoopbackHost, resolveTarget, resolveTargetChecked, resolvesToLoopback } = await import('../../src/ingest/config.js');

describe('*.localhost', () => {
  it('is not loopback by its name alone', () => {
    expect(isLoopbackHost('app.localhost')).toBe(false);
    expect(() => resolveTarget({ baseUrl: 'http://app.localhost:8787' }, {})).toThrow(/refusing plain http:\/\/ to app\.localhost:8787/);
  });
  it('is loopback when every address it resolves to is loopback', async () => {
    expect(await resolvesToLoopback('app.localhost')).toBe(true);
    expect((await resolveTargetChecked({ baseUrl: 'http://app.localhost:8787' }, {})).loopback).toBe(true);
  });
  it.each(['evil.localhost', 'mixed.localhost', 'gone.localhost'])('%s (elsewhere, partly elsewhere, unresolvable) is not: plain http is refused', async (host) => {
    expect(await resolvesToLoopback(host)).toBe(false);
    await expect(resolveTargetChecked({ baseUrl: `http://${host}:8787` }, {})).rejects.toThrow(/refusing plain http/);
    expect((await resolveTargetChecked({ baseUrl: `https://${host}` }, {})).loopback).toBe(false);
  });
  it('plain names are not looked up', async () => {
    expect((await resolveTargetChecked({ baseUrl: 'http://127.0.0.1:8787' }, {})).loopback).toBe(true);
    expect((await resolveTargetChecked({ baseUrl: 'https://api.opsmeter.io' }, {})).loopback).toBe(false);
  });
});
