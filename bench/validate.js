// npm run bench -- validate: 1,000,000 realistic payload lines; bare readline + JSON.parse
// vs `opsmeter validate` on the same file, plus opsmeter's peak RSS.
// Targets (README "Performance"): ratio ≤ 1.25, peak RSS ≤ 200 MB.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { BIN, ROOT, fmt, median, mulberry32, tempDir, timeNode } from './lib.js';

const MODELS = [
  ['openai', 'gpt-4o-mini'],
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4-1'],
  ['anthropic', 'claude-3-5-sonnet-20241022'],
  ['anthropic', 'claude-sonnet-4-20250514'],
  ['google', 'gemini-2-5-pro'],
];
const TAGS = ['checkout.ai_summary', 'support.reply', 'invoice.extract', 'search.rerank'];


export async function generate(file, lines) {
  const rnd = mulberry32(42);
  const out = createWriteStream(file);
  const now = Date.now();
  for (let i = 0; i < lines; i++) {
    const [provider, model] = MODELS[Math.floor(rnd() * MODELS.length)];
    const input = 50 + Math.floor(rnd() * 4000);
    const output = 10 + Math.floor(rnd() * 800);
    const ok = rnd() > 0.02;
    const p = {
      externalRequestId: `ext_${i.toString(16).padStart(24, '0')}`,
      provider,
      model,
      promptVersion: `v${1 + Math.floor(rnd() * 9)}`,
      endpointTag: TAGS[Math.floor(rnd() * TAGS.length)],
      inputTokens: input,
      outputTokens: output,
      totalTokens: input + output,
      latencyMs: 100 + Math.floor(rnd() * 5000),
      status: ok ? 'success' : 'error',
      errorCode: ok ? null : 'provider_timeout',
      userId: `u_${Math.floor(rnd() * 5000).toString(16)}`,
      dataMode: 'real',
      environment: 'prod',
      createdAt: new Date(now - Math.floor(rnd() * 86_400_000)).toISOString(),
    };
    if (!out.write(JSON.stringify(p) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function run({ lines = 1_000_000, runs = 3 } = {}) {
  const { dir, cleanup } = tempDir('validate');
  try {
    const file = join(dir, 'payloads.jsonl');
    process.stderr.write(`validate: generating ${lines.toLocaleString('en-US')} payload lines…\n`);
    await generate(file, lines);
    // Warm the page cache so the first timed run does not pay for disk reads.
    await timeNode([join(ROOT, 'bench', 'baseline-jsonl.cjs'), file]);
    const base = await median(runs, () => timeNode([join(ROOT, 'bench', 'baseline-jsonl.cjs'), file]));
    const ops = await median(runs, () => timeNode([BIN, 'validate', '--format', 'json', '--output', join(dir, 'report.json'), file]));
    if (ops.code !== 0) throw new Error(`opsmeter validate exited ${ops.code}: ${ops.stderr.slice(0, 500)}`);
    return {
      name: `validate ${lines.toLocaleString('en-US')} JSONL lines`,
      baselineMs: base.ms,
      opsmeterMs: ops.ms,
      ratio: ops.ms / base.ms,
      baselineCpuMs: base.cpuMs,
      opsmeterCpuMs: ops.cpuMs,
      cpuRatio: ops.cpuMs / base.cpuMs,
      peakRssMb: ops.peakRssMb,
      baselineRssMb: base.peakRssMb,
      target: 'ratio ≤ 1.25, peak RSS ≤ 200 MB',
      ok: ops.ms / base.ms <= 1.25 && ops.peakRssMb <= 200,
    };
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await run({ lines: Number(process.argv[2] ?? 1_000_000) });
  console.log(`${r.name}: wall bare ${fmt(r.baselineMs)} vs opsmeter ${fmt(r.opsmeterMs)} = ${r.ratio.toFixed(2)}×; CPU ${fmt(r.baselineCpuMs)} vs ${fmt(r.opsmeterCpuMs)} = ${r.cpuRatio.toFixed(2)}×; peak RSS ${r.peakRssMb.toFixed(0)} MB`);
}
