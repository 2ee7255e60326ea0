/** The bounded queue between the import pipeline (a line output) and the sender (an async iterable). */
import { describe, expect, it } from 'vitest';
import { PayloadQueue, SendingStopped } from '../../src/cli/import-send-queue.js';
import type { LineOutput } from '../../src/importers/sink.js';
import type { SendItem } from '../../src/ingest/sender.js';

const line = (i: number) => JSON.stringify({ externalRequestId: `ext_${i}`, n: i }) + '\n';

async function takeAll(it: AsyncIterator<SendItem>, n: number): Promise<SendItem[]> {
  const out: SendItem[] = [];
  for (let k = 0; k < n; k++) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('PayloadQueue', () => {
  it('hands over every line as a parsed payload, numbered, in order, also lines split across writes', async () => {
    const q = new PayloadQueue(10);
    q.write(line(1) + line(2));
    const third = line(3);
    q.write(third.slice(0, 7));
    q.write(third.slice(7) + line(4).trimEnd()); // the last line without its newline
    q.end();
    const items: SendItem[] = [];
    for await (const item of q) items.push(item);
    expect(items.map((i) => i.value)).toEqual([1, 2, 3, 4].map((n) => ({ externalRequestId: `ext_${n}`, n })));
    expect(items.map((i) => i.where)).toEqual(['payload 1', 'payload 2', 'payload 3', 'payload 4']);
    expect(q.written).toBe(4);
  });

  it('asks the import to pause at capacity and lets it go on once the sender took half', async () => {
    const q = new PayloadQueue(4);
    for (let i = 1; i <= 3; i++) q.write(line(i));
    expect(q.needsDrain).toBe(false);
    q.write(line(4));
    expect(q.needsDrain).toBe(true);
    let resumed = false;
    const drained = q.drain().then(() => (resumed = true));
    const it = q[Symbol.asyncIterator]();
    await takeAll(it, 1);
    await Promise.resolve();
    expect(resumed).toBe(false); // 3 still wait: more than half
    await takeAll(it, 1);
    await drained;
    expect(resumed).toBe(true);
    expect(q.size).toBe(2);
    expect(q.needsDrain).toBe(false);
  });

  it('a consumer waiting for the next payload is woken by a write, and by the end', async () => {
    const q = new PayloadQueue(4);
    const it = q[Symbol.asyncIterator]();
    const first = it.next();
    q.write(line(1));
    expect((await first).value?.value).toEqual({ externalRequestId: 'ext_1', n: 1 });
    const second = it.next();
    q.end();
    expect((await second).done).toBe(true);
  });

  it('serves several readers waiting at once (the sender\'s workers), each payload exactly once, and ends them all', async () => {
    const q = new PayloadQueue(100);
    const it = q[Symbol.asyncIterator]();
    const readers = Array.from({ length: 8 }, () => it.next());
    q.write(line(1) + line(2) + line(3));
    q.end();
    const results = await Promise.all(readers);
    expect(results.filter((r) => !r.done).map((r) => (r.value as SendItem).where)).toEqual(['payload 1', 'payload 2', 'payload 3']);
    expect(results.filter((r) => r.done)).toHaveLength(5);
    expect((await it.next()).done).toBe(true);
  });

  it('when the sender stops reading, a waiting import is released with SendingStopped, and later writes throw it', async () => {
    const q = new PayloadQueue(2);
    q.write(line(1) + line(2));
    const drained = q.drain();
    const it = q[Symbol.asyncIterator]();
    await it.return!();
    await expect(drained).rejects.toBeInstanceOf(SendingStopped);
    expect(() => q.write(line(3))).toThrow(SendingStopped);
    expect(q.wasCancelled).toBe(true);
    expect((await it.next()).done).toBe(true);
  });

  it('return() after the input ended and was read does not cancel', async () => {
    const q = new PayloadQueue(2);
    q.write(line(1));
    q.end();
    const it = q[Symbol.asyncIterator]();
    await takeAll(it, 1);
    await it.return!();
    expect(q.wasCancelled).toBe(false);
  });

  it('copies every line to -o FILE and waits for it too', async () => {
    let text = '';
    let full = true;
    let release!: () => void;
    const copy: LineOutput = {
      write: (t) => void (text += t),
      get needsDrain() {
        return full;
      },
      drain: () => new Promise<void>((r) => (release = () => ((full = false), r()))),
    };
    const q = new PayloadQueue(10, copy);
    q.write(line(1) + line(2));
    expect(text).toBe(line(1) + line(2));
    expect(q.needsDrain).toBe(true); // the file is behind, although the queue is not full
    let done = false;
    const drained = q.drain().then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await drained;
    expect(q.needsDrain).toBe(false);
  });

  it('stays bounded over many payloads when the producer honours needsDrain', async () => {
    const q = new PayloadQueue(50);
    let maxSize = 0;
    const producer = (async () => {
      for (let i = 0; i < 5000; i++) {
        q.write(line(i));
        maxSize = Math.max(maxSize, q.size);
        if (q.needsDrain) await q.drain();
      }
      q.end();
    })();
    let n = 0;
    for await (const item of q) {
      expect((item.value as { n: number }).n).toBe(n);
      n++;
    }
    await producer;
    expect(n).toBe(5000);
    expect(maxSize).toBeLessThanOrEqual(50);
  });
});
