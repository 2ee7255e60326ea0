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
