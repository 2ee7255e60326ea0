// npm run bench -- send: 20,000 events to the in-process emulator on 127.0.0.1 —
// opsmeter's sender (validation, classification, retry/stop machinery, real undici client)
// vs a bare undici Pool loop (JSON.stringify + POST + read the body) at the same concurrency,
// against the same emulator. Both get the same pre-generated payload objects (fresh ids each
// round, so the emulator stores every row). Rounds alternate; figures are medians.
// Target (README "Performance"): opsmeter ≥ 0.7× the bare throughput.
// Run after a build: `node bench/send.js` (or through bench/run.js).
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

const dist = new URL('../dist/', import.meta.url);
const load = (p) => import(new URL(p, dist).href);

export const EVENTS = 20_000;
export const CONCURRENCY = 8;
const ROUNDS = 3;
const WARMUP = 2_000;
const KEY = 'om_bench_key';
const PATH = '/v1/ingest/llm-request';

export async function run({ events = EVENTS, concurrency = CONCURRENCY, rounds = ROUNDS, log = () => {} } = {}) {
  const [{ startEmulator }, { Sender }, { createClient }, { resolveTarget }, { generateEvents }, { builtinCatalog }] = await Promise.all([
    load('emulator/server.js'),
    load('ingest/sender.js'),
    load('ingest/client.js'),
    load('ingest/config.js'),
    load('ingest/generate.js'),
    load('contract/catalog.js'),
  ]);
  const catalog = builtinCatalog();
  const emu = await startEmulator({ port: 0, apiKey: KEY, keepRows: false, seed: 1 });
  const target = resolveTarget({ baseUrl: emu.url }, {});
  const batch = (seed, n) => [...generateEvents({ mode: 'test', count: n, catalog, seed })];

  async function bare(items) {
    const pool = new Pool(emu.url, { connections: concurrency, keepAliveTimeout: 30_000 });
    const headers = { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': KEY };
    let next = 0;
    let accepted = 0;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < items.length) {
          const body = JSON.stringify(items[next++].value);
          const res = await pool.request({ path: PATH, method: 'POST', headers, body });
          await res.body.text();
          if (res.statusCode === 200) accepted++;
        }
      }),
    );
    const ms = performance.now() - t0;
    const cpuMs = cpuSince(c0);
    await pool.close();
    if (accepted !== items.length) throw new Error(`bare loop: only ${accepted} of ${items.length} accepted`);
    return { ms, cpuMs };
  }

  async function opsmeter(items) {
    const client = createClient({ target, apiKey: KEY, timeoutMs: 5000, connections: concurrency });
    const sender = new Sender({ client, catalog, concurrency });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await sender.run(items);
    const ms = performance.now() - t0;
    const cpuMs = cpuSince(c0);
    await client.close();
    if (report.outcomes.accepted !== items.length) throw new Error(`opsmeter: only ${report.outcomes.accepted} of ${items.length} accepted`);
    return { ms, cpuMs };
  }

  const baseline = [];
  const ours = [];
  try {
    await bare(batch('warm-bare', WARMUP));
    await opsmeter(batch('warm-ops', WARMUP));
    for (let i = 0; i < rounds; i++) {
      // Alternate who goes first, so drift on a noisy machine hits both equally.
      const a = batch(`bare-${i}`, events);
      const b = batch(`ops-${i}`, events);
      if (i % 2 === 0) {
        baseline.push(await bare(a));
        ours.push(await opsmeter(b));
      } else {
        ours.push(await opsmeter(b));
        baseline.push(await bare(a));
      }
      log(`  round ${i + 1}: bare ${rate(events, baseline.at(-1).ms)}/s, opsmeter ${rate(events, ours.at(-1).ms)}/s`);
    }
  } finally {
    await emu.close();
  }
  const baselineMs = median(baseline.map((r) => r.ms));
  const opsmeterMs = median(ours.map((r) => r.ms));
  // CPU of the whole process (sender + in-process emulator): less sensitive to a noisy machine.
  const baselineCpuMs = median(baseline.map((r) => r.cpuMs));
  const opsmeterCpuMs = median(ours.map((r) => r.cpuMs));
  const ratio = baselineMs / opsmeterMs; // throughput of opsmeter / throughput of bare
  return {
    name: `send ${events.toLocaleString('en-US')} events, concurrency ${concurrency} (throughput ${rate(events, baselineMs)}/s bare vs ${rate(events, opsmeterMs)}/s opsmeter)`,
    baselineMs,
    opsmeterMs,
    ratio,
    baselineCpuMs,
    opsmeterCpuMs,
    cpuRatio: opsmeterCpuMs / baselineCpuMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    target: '≥ 0.70× of the bare throughput; RSS includes the in-process emulator',
    ok: ratio >= 0.7,
  };
}

function cpuSince(c0) {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
const rate = (n, ms) => Math.round((n * 1000) / ms).toLocaleString('en-US');

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await run({ log: (l) => console.log(l) });
  console.log(`bare undici Pool: ${(r.baselineMs / 1000).toFixed(2)} s (${rate(EVENTS, r.baselineMs)} events/s)`);
  console.log(`opsmeter sender:  ${(r.opsmeterMs / 1000).toFixed(2)} s (${rate(EVENTS, r.opsmeterMs)} events/s)`);
  console.log(`CPU (sender + emulator): ${(r.baselineCpuMs / 1000).toFixed(2)} s bare vs ${(r.opsmeterCpuMs / 1000).toFixed(2)} s opsmeter = ${r.cpuRatio.toFixed(2)}×`);
  console.log(`ratio ${r.ratio.toFixed(2)}× of the bare throughput (target ≥ 0.70×) ${r.ok ? '[target met]' : '[target missed]'}; peak RSS ${r.peakRssMb.toFixed(0)} MB (emulator included)`);
}
