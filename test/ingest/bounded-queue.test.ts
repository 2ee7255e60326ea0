/** The one bounded queue between a producer and the sender (payload files and import --send use it). */
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/ingest/bounded-queue.js';

describe('BoundedQueue', () => {
  it('asks the producer to pause at capacity and resumes it at resumeAt, in order', async () => {
    const q = new BoundedQueue<number>(4, 1);
    for (let i = 0; i < 4; i++) q.push(i);
    expect(q.needsDrain).toBe(true);
    let resumed: boolean | undefined;
    const room = q.waitForRoom().then((go) => (resumed = go));
    const it = q[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    expect((await it.next()).value).toBe(1);
    await Promise.resolve();
    expect(resumed).toBeUndefined(); // 2 still wait: more than resumeAt
    expect((await it.next()).value).toBe(2);
    await room;
    expect(resumed).toBe(true);
    q.end();
    expect((await it.next()).value).toBe(3);
    expect((await it.next()).done).toBe(true);
  });

  it('queues undefined and falsy values like any other', async () => {
    const q = new BoundedQueue<unknown>(10);
    for (const v of [undefined, 0, '', null]) q.push(v);
    q.end();
    const seen: unknown[] = [];
    for await (const v of q) seen.push(v);
    expect(seen).toEqual([undefined, 0, '', null]);
  });

  it('return() before the end cancels: the producer is told to stop, later pushes are dropped', async () => {
    const q = new BoundedQueue<number>(1);
    q.push(1);
    const room = q.waitForRoom();
    await q[Symbol.asyncIterator]().return!();
    expect(await room).toBe(false);
    expect(q.isCancelled).toBe(true);
    q.push(2);
    expect(q.size).toBe(0);
    expect(await q.waitForRoom()).toBe(false);
  });

  it('stays bounded and loses nothing over many items with a slow consumer', async () => {
    const q = new BoundedQueue<number>(16, 4);
    let peak = 0;
    const producer = (async () => {
      for (let i = 0; i < 3000; i++) {
        q.push(i);
        peak = Math.max(peak, q.size);
        if (q.needsDrain && !(await q.waitForRoom())) return;
      }
      q.end();
    })();
    let n = 0;
    for await (const v of q) {
      expect(v).toBe(n++);
      if (n % 7 === 0) await new Promise((r) => setImmediate(r));
    }
    await producer;
    expect(n).toBe(3000);
    expect(peak).toBeLessThanOrEqual(16);
  });

  it('refuses a capacity below 1 and a push after the end', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
    const q = new BoundedQueue<number>(2);
    q.end();
    expect(() => q.push(1)).toThrow(/after end/);
  });
});
