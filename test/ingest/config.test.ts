import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, endpointUrl, isLoopbackHost, redactKey, resolveApiKey, resolveTarget } from '../../src/ingest/config.js';

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-config-'));

describe('resolveTarget', () => {
  it('defaults to https://api.opsmeter.io, then OPSMETER_API_BASE_URL, then --base-url', () => {
    expect(resolveTarget({}, {}).baseUrl.href).toBe('https://api.opsmeter.io/');
    expect(resolveTarget({}, { OPSMETER_API_BASE_URL: 'https://eu.example.com' }).baseUrl.host).toBe('eu.example.com');
    expect(resolveTarget({ baseUrl: 'http://127.0.0.1:9' }, { OPSMETER_API_BASE_URL: 'https://eu.example.com' }).baseUrl.host).toBe('127.0.0.1:9');
  });
  it('refuses plain http to a non-loopback host without --allow-insecure', () => {
    expect(() => resolveTarget({ baseUrl: 'http://api.example.com' }, {})).toThrow(/refusing plain http:\/\/ to api\.example\.com/);
    expect(() => resolveTarget({}, { OPSMETER_API_BASE_URL: 'http://10.0.0.5:8787' })).toThrow(ConfigError);
    expect(resolveTarget({ baseUrl: 'http://api.example.com', allowInsecure: true }, {}).loopback).toBe(false);
    for (const u of ['http://127.0.0.1:8787', 'http://localhost:1', 'http://[::1]:8787', 'http://127.9.9.9']) {
      expect(resolveTarget({ baseUrl: u }, {}).loopback, u).toBe(true);
    }
  });
  it('refuses URLs that are not http(s), carry credentials or a query', () => {
    expect(() => resolveTarget({ baseUrl: 'not a url' }, {})).toThrow(/not a URL/);
    expect(() => resolveTarget({ baseUrl: 'ftp://x' }, {})).toThrow(/http\(s\)/);
    expect(() => resolveTarget({ baseUrl: 'https://user:pw@x.io' }, {})).toThrow(/credentials/);
    expect(() => resolveTarget({ baseUrl: 'https://x.io/?a=1' }, {})).toThrow(/query/);
  });
  it('joins endpoint paths under a base path prefix', () => {
    expect(endpointUrl(resolveTarget({ baseUrl: 'https://x.io' }, {}), '/v1/ingest/llm-request').href).toBe('https://x.io/v1/ingest/llm-request');
    expect(endpointUrl(resolveTarget({ baseUrl: 'https://x.io/proxy/opsmeter/' }, {}), '/v1/ingest/demo').href).toBe('https://x.io/proxy/opsmeter/v1/ingest/demo');
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback names and addresses only', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    // *.localhost is loopback only once it resolves there (resolveTargetChecked), not by name.
    for (const h of ['example.com', '10.0.0.1', '0.0.0.0', '128.0.0.1', 'localhost.example.com', '::2', 'api.localhost']) expect(isLoopbackHost(h), h).toBe(false);
  });
  it('is strict about other spellings (the emulator\'s --host warning uses the same rule)', () => {
    for (const h of ['0:0:0:0:0:0:0:1', '[0:0:0:0:0:0:0:1]', '127.255.255.255']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['::ffff:127.0.0.1', '[::ffff:7f00:1]', '127.0.0', '127.0.0.1.example.com', '', 'localhostx']) expect(isLoopbackHost(h), h).toBe(false);
  });
});

describe('resolveApiKey', () => {
  it('reads OPSMETER_API_KEY, or a key file (trimmed), preferring the file', () => {
    expect(resolveApiKey({}, {})).toBeUndefined();
    expect(resolveApiKey({}, { OPSMETER_API_KEY: '  om_live_SECRET_123\n' })).toEqual({ key: 'om_live_SECRET_123', from: 'OPSMETER_API_KEY' });
    const f = join(dir, 'key');
    writeFileSync(f, '\uFEFFom_file_key\r\n');
    expect(resolveApiKey({ apiKeyFile: f }, { OPSMETER_API_KEY: 'other' })).toEqual({ key: 'om_file_key', from: `--api-key-file ${f}` });
  });
  it('explains an unreadable, empty or malformed key without quoting it', () => {
    expect(() => resolveApiKey({ apiKeyFile: join(dir, 'missing') }, {})).toThrow(/no such file/);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => resolveApiKey({ apiKeyFile: empty }, {})).toThrow(/is empty/);
    try {
      resolveApiKey({}, { OPSMETER_API_KEY: 'om_live SECRET' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/spaces/);
      expect((e as Error).message).not.toContain('SECRET');
    }
  });
});

describe('redactKey', () => {
  it('replaces every occurrence', () => {
    expect(redactKey('key om_live_SECRET_123 and om_live_SECRET_123', 'om_live_SECRET_123')).toBe('key *** and ***');
    expect(redactKey('nothing here', 'om_live_SECRET_123')).toBe('nothing here');
    expect(redactKey('abc', undefined)).toBe('abc');
  });
});
