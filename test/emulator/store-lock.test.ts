/**
 * One emulator per store (src/emulator/store-lock.ts), in process: a second lock on the same
 * store is refused while its owner lives; a lock whose owner is gone (a pid that no longer
 * runs, or a pid reused by a younger process) is taken over; a lock from another host, or one
 * no emulator wrote, is honoured. The `kill -9` of a real emulator is test/cli/emulate.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { lockStore, StoreLocked } from '../../src/emulator/store-lock.js';
import { failure } from '../helpers/repos.js';

const dir = mkdtempSync(join(tmpdir(), 'opsmeter-store-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const storePath = () => join(dir, `rows-${n++}.jsonl`);

/** The pid of a process that has ended (reaped), so no process has it now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('store lock', () => {
  it('is taken, refused to a second taker while held, and released', async () => {
    const store = storePath();
    const lock = await lockStore(store);
    expect(lock.tookOver).toBeUndefined();
    expect(JSON.parse(readFileSync(`${store}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    // The owner here is this very process: a second emulator in it must not share the file either.
    const other = { pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00.000Z' };
    await lock.release();
    expect(existsSync(`${store}.lock`)).toBe(false);
    writeFileSync(`${store}.lock`, JSON.stringify(other) + '\n');
    const refused = await failure(() => lockStore(store));
    expect(refused).toBeInstanceOf(StoreLocked);
    expect(refused).toMatchObject({ code: 'ELOCKED', hint: 'stop that emulator first, or give this one another --store' });
    expect((refused as Error).message).toBe(`store ${store} is in use by another emulator (pid ${process.ppid}, since 2026-01-01T00:00:00.000Z)`);
  });

  it('a lock whose process is gone is taken over, and says whose it was', async () => {
    const store = storePath();
    const pid = deadPid();
    writeFileSync(`${store}.lock`, JSON.stringify({ pid, host: hostname(), since: '2026-01-01T00:00:00.000Z' }) + '\n');
    const lock = await lockStore(store);
    expect(lock.tookOver).toEqual({ pid, since: '2026-01-01T00:00:00.000Z' });
    expect(JSON.parse(readFileSync(`${store}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    // This process's own pid, on a lock it does not hold: left by an earlier process that had the pid (a restarted container).
    writeFileSync(`${store}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-01-02T00:00:00.000Z' }) + '\n');
    const again = await lockStore(store);
    expect(again.tookOver).toEqual({ pid: process.pid, since: '2026-01-02T00:00:00.000Z' });
    await again.release();
  });

  it.skipIf(!existsSync('/proc/self/stat'))('a pid reused by a younger process is a stale lock (Linux: the start time differs)', async () => {
    const store = storePath();
    writeFileSync(`${store}.lock`, JSON.stringify({ pid: process.ppid, host: hostname(), since: '2026-01-01T00:00:00.000Z', startTicks: 1 }) + '\n');
    const lock = await lockStore(store);
    expect(lock.tookOver?.pid).toBe(process.ppid);
    await lock.release();
  });

  it("a lock from another host, or a file that is no emulator's lock, is honoured with a way out", async () => {
    const store = storePath();
    writeFileSync(`${store}.lock`, JSON.stringify({ pid: 4242, host: 'build-agent-7', since: '2026-01-01T00:00:00.000Z' }) + '\n');
    const remote = (await failure(() => lockStore(store))) as StoreLocked;
    expect(remote.message).toContain('(pid 4242 on host build-agent-7, since 2026-01-01T00:00:00.000Z)');
    expect(remote.hint).toContain(`delete ${store}.lock`);
    writeFileSync(`${store}.lock`, 'not json');
    const garbage = (await failure(() => lockStore(store))) as StoreLocked;
    expect(garbage.message).toBe(`store ${store} is locked by ${store}.lock, which no emulator wrote`);
  });

  it('startEmulator takes the lock before it reads the store, refuses a second one, and releases it on close', async () => {
    const store = storePath();
    const first = await startEmulator({ host: '127.0.0.1', port: 0, store });
    try {
      const second = await failure(() => startEmulator({ host: '127.0.0.1', port: 0, store }));
      expect(second).toMatchObject({ code: 'ELOCKED' });
    } finally {
      await first.close();
    }
    expect(existsSync(`${store}.lock`)).toBe(false);
    const again = await startEmulator({ host: '127.0.0.1', port: 0, store });
    await again.close();
  });
});
