/** Whether worker threads start: the idle cores measured between two readings of the cores' times. */
import { describe, expect, it } from 'vitest';
import { MIN_IDLE_CORES, idleBesideOwn, idleBetween, sampleIdleCores, threadsFor, threadsForIdle, watchCores } from '../../src/read/idle-cores.js';

const core = (idle: number, busy: number) => ({ idle, total: idle + busy });

describe('idle cores', () => {
  it('sums each core\'s idle share of the time that passed', () => {
    const before = [core(1000, 1000), core(1000, 1000)];
    expect(idleBetween(before, [core(1100, 1000), core(1000, 1100)])).toBeCloseTo(1);
    expect(idleBetween(before, [core(1100, 1000), core(1100, 1000)])).toBeCloseTo(2);
    expect(idleBetween(before, [core(1025, 1075), core(1050, 1050)])).toBeCloseTo(0.75);
  });

  it('a core whose counters did not move, or went backwards, counts as busy; a core that appeared is ignored', () => {
    const before = [core(1000, 1000), core(1000, 1000)];
    expect(idleBetween(before, [core(1000, 1000), core(1100, 1000), core(5, 5)])).toBeCloseTo(1);
    expect(idleBetween(before, [core(900, 1000), core(1100, 1000)])).toBeCloseTo(1);
  });

  it('threads start only with more than one core\'s worth of idle time (the main thread takes one)', () => {
    expect(threadsForIdle(2, 2)).toBe(2);
    expect(threadsForIdle(2, MIN_IDLE_CORES)).toBe(2);
    expect(threadsForIdle(2, 1)).toBe(0);
    expect(threadsForIdle(2, 0)).toBe(0);
  });

  it("a window that spans the command's own start-up counts its own CPU time as idle: what counts is what other work leaves", () => {
    const before = [core(1000, 1000), core(1000, 1000)];
    // 100 ms: one core busy with this process (100 ms of its CPU), the other idle.
    expect(idleBesideOwn(before, [core(1100, 1000), core(1000, 1100)], 100, 100)).toBeCloseTo(2);
    // One core busy with other work, this process idle.
    expect(idleBesideOwn(before, [core(1100, 1000), core(1000, 1100)], 0, 100)).toBeCloseTo(1);
    // Both cores busy, half of it this process's.
    expect(idleBesideOwn(before, [core(1000, 1100), core(1000, 1100)], 100, 100)).toBeCloseTo(1);
    expect(idleBesideOwn(before, before, 0, 0)).toBe(0);
  });

  it('a sample after watchCores() spans the time since, and is between 0 and the number of cores with this process counted', async () => {
    watchCores();
    const spin = performance.now() + 30;
    while (performance.now() < spin); // this process busy for part of the window
    const idle = await sampleIdleCores(50);
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(idle).toBeLessThanOrEqual((await import('node:os')).cpus().length + 1);
  });

  it('a real sample is between 0 and the number of cores', async () => {
    const idle = await sampleIdleCores(20);
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(idle).toBeLessThanOrEqual((await import('node:os')).cpus().length);
  });
});

describe('threadsFor: one decision per run', () => {
  it('a count set by hand starts its threads without a sample', async () => {
    let samples = 0;
    const sample = async () => (samples++, 0);
    expect(await threadsFor({ threads: 3, minBytes: 0 }, sample)).toBe(3);
    expect(samples).toBe(0);
  });

  it('the default plan samples once, at the first large file, and keeps the answer for the run', async () => {
    let samples = 0;
    const busy = async () => (samples++, 0.2);
    const plan = { threads: 2, minBytes: 1, whenIdle: true };
    expect(await threadsFor(plan, busy)).toBe(0);
    expect(await threadsFor(plan, busy)).toBe(0);
    expect(samples).toBe(1);
    // Another run (another plan object) decides afresh.
    expect(await threadsFor({ ...plan }, async () => (samples++, 2))).toBe(2);
    expect(samples).toBe(2);
  });
});
