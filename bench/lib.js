// Shared benchmark plumbing: temp dirs, timing a child process, and its peak RSS.
// Every figure is a ratio against a bare baseline measured in the same run, so the
// machine's speed and noise cancel out as far as they can.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = join(ROOT, 'bin', 'opsmeter.js');
const PROBE = join(ROOT, 'bench', 'rss-probe.cjs');

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `opsmeter-bench-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Run `node <args>` with the probe preloaded; resolve with wall time and CPU time (ms), peak RSS (MB),
 * exit code and captured stderr. stdout is discarded unless `stdoutFile` is given.
 */
export function timeNode(args, { env = {}, cwd = ROOT } = {}) {
  const { dir, cleanup } = tempDir('rss');
  const rssFile = join(dir, 'rss');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--require', PROBE, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', TZ: 'UTC', OPSMETER_RSS_FILE: rssFile, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      let peakRssMb = NaN;
      let cpuMs = NaN;
      try {
        const probe = JSON.parse(readFileSync(rssFile, 'utf8'));
        peakRssMb = probe.maxRssKb / 1024;
        cpuMs = probe.cpuMs;
      } catch {}
      cleanup();
      resolve({ ms, cpuMs, peakRssMb, code, stderr });
    });
  });
}

/** Median of n runs of an async measurement (n small: these runs are long). */
export async function median(n, fn) {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push(await fn(i));
  runs.sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(runs.length / 2)];
}

export const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

/** Deterministic PRNG so every run benchmarks the same bytes. */
export function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One run of the CLI on a large input, for its peak RSS against an absolute bound (MB): no
 * baseline, as memory does not depend on the machine's speed. `before` runs before it.
 */
export async function memoryRun({ name, args, before = () => undefined, limitMb = 200 }) {
  before();
  const o = await timeNode([BIN, ...args]);
  if (o.code !== 0) throw new Error(`opsmeter ${args[0]} exited ${o.code}: ${o.stderr.slice(0, 800)}`);
  return { name, opsmeterMs: o.ms, opsmeterCpuMs: o.cpuMs, peakRssMb: o.peakRssMb, target: `peak RSS ≤ ${limitMb} MB`, ok: o.peakRssMb <= limitMb };
}

/** Median of numbers. */
const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `n` processes that each keep a core busy (a machine whose cores other work holds); call the result to stop them. */
export function busyCores(n) {
  const loops = Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
  return () => {
    for (const p of loops) p.kill('SIGKILL');
  };
}

/**
 * The default (worker threads where they help) against the same command with them off, with
 * `busy` busy-loop processes beside it: on a machine whose cores are taken, the default must
 * not be slower than one thread (ratio ≤ `limit`). The two alternate, each first in every
 * other round, so the busy loops' share of the cores hits both alike.
 */
export async function busyCompare({ name, args, before = () => undefined, runs, busy = 2, offEnv, limit = 1.1 }) {
  const stop = busyCores(busy);
  const def = [];
  const off = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the loops are running before the first run
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? [[def, {}], [off, offEnv]] : [[off, offEnv], [def, {}]];
      for (const [into, env] of order) {
        before();
        const o = await timeNode([BIN, ...args], { env });
        if (o.code !== 0) throw new Error(`opsmeter ${args[0]} exited ${o.code}: ${o.stderr.slice(0, 800)}`);
        into.push(o);
      }
    }
  } finally {
    stop();
  }
  const baselineMs = mid(off.map((r) => r.ms));
  const opsmeterMs = mid(def.map((r) => r.ms));
  const baselineCpuMs = mid(off.map((r) => r.cpuMs));
  const opsmeterCpuMs = mid(def.map((r) => r.cpuMs));
  const range = (xs) => [Math.min(...xs), Math.max(...xs)];
  const ratio = opsmeterMs / baselineMs;
  return {
    name,
    baselineName: 'threads off',
    baselineMs,
    opsmeterMs,
    ratio,
    baselineCpuMs,
    opsmeterCpuMs,
    cpuRatio: opsmeterCpuMs / baselineCpuMs,
    peakRssMb: Math.max(...def.map((r) => r.peakRssMb)),
    ratioRange: range(def.map((r, i) => r.ms / off[i].ms)),
    cpuRatioRange: range(def.map((r, i) => r.cpuMs / off[i].cpuMs)),
    runs,
    target: `default ≤ ${limit}× threads off, with ${busy} busy-loop processes`,
    ok: ratio <= limit,
  };
}

/**
 * Baseline and opsmeter runs alternate, so load from other processes on a shared machine
 * hits both sides alike; wall and CPU medians are taken independently (CPU time is the
 * steadier figure there for one thread; with worker threads it is their sum, and wall time is
 * what they save), peak RSS is the largest seen. `variants` are runs of the same command
 * with other settings (`env`) or arguments (`args`), in the same alternation (worker threads
 * off, to show what they give). `args` are the CLI's arguments; `before` runs before each of
 * its runs.
 */
export async function compare({ name, file, baseline, args, before = () => undefined, runs, limit, variants = [] }) {
  await timeNode([join(ROOT, 'bench', baseline), file]); // warm the page cache
  const base = [];
  const all = [{ name, env: {}, args, runs: [] }, ...variants.map((v) => ({ env: {}, args, ...v, runs: [] }))];
  for (let i = 0; i < runs; i++) {
    base.push(await timeNode([join(ROOT, 'bench', baseline), file]));
    for (const v of all) {
      before();
      const o = await timeNode([BIN, ...v.args], { env: v.env });
      if (o.code !== 0) throw new Error(`opsmeter ${v.args[0]} exited ${o.code}: ${o.stderr.slice(0, 800)}`);
      v.runs.push(o);
    }
  }
  const baselineMs = mid(base.map((r) => r.ms));
  const baselineCpuMs = mid(base.map((r) => r.cpuMs));
  const range = (xs) => [Math.min(...xs), Math.max(...xs)];
  return all.map((v) => {
    const ops = v.runs;
    const opsmeterMs = mid(ops.map((r) => r.ms));
    const opsmeterCpuMs = mid(ops.map((r) => r.cpuMs));
    const peakRssMb = Math.max(...ops.map((r) => r.peakRssMb));
    const ratio = opsmeterMs / baselineMs;
    return {
      name: v.name,
      baselineMs,
      opsmeterMs,
      ratio,
      baselineCpuMs,
      opsmeterCpuMs,
      cpuRatio: opsmeterCpuMs / baselineCpuMs,
      peakRssMb,
      baselineRssMb: Math.max(...base.map((r) => r.peakRssMb)),
      // Spread of the runs: each run's ratio against the bare run just before it.
      ratioRange: range(ops.map((r, i) => r.ms / base[i].ms)),
      cpuRatioRange: range(ops.map((r, i) => r.cpuMs / base[i].cpuMs)),
      runs,
      target: `ratio ≤ ${limit}, peak RSS ≤ 200 MB`,
      ok: ratio <= limit && peakRssMb <= 200,
    };
  });
}
