// npm run bench -- validate: 1,000,000 realistic payload lines; bare readline + JSON.parse
// vs `opsmeter validate` on the same file, plus opsmeter's peak RSS.
// Targets (README "Performance"): ratio ≤ 1.25, peak RSS ≤ 200 MB. Large files are checked in
// worker threads; the same run with them off is shown too.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { busyCompare, compare, fmt, mulberry32, tempDir } from './lib.js';

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

export async function run({ lines = 1_000_000, runs = Number(process.env.BENCH_RUNS ?? 3) } = {}) {
  const { dir, cleanup } = tempDir('validate');
  try {
    const file = join(dir, 'payloads.jsonl');
    const n = lines.toLocaleString('en-US');
    process.stderr.write(`validate: generating ${n} payload lines…\n`);
    await generate(file, lines);
    const args = ['validate', '--format', 'json', '--output', join(dir, 'report.json'), file];
    const idle = await compare({
      name: `validate ${n} JSONL lines`,
      file,
      baseline: 'baseline-jsonl.cjs',
      args,
      runs,
      limit: 1.25,
      variants: [{ name: '  the same on the main thread alone (OPSMETER_VALIDATE_WORKERS=off)', env: { OPSMETER_VALIDATE_WORKERS: 'off' } }],
    });
    process.stderr.write('validate: the same with two busy-loop processes beside it…\n');
    const busy = await busyCompare({ name: `validate ${n} JSONL lines on busy cores: default vs threads off`, args, runs, offEnv: { OPSMETER_VALIDATE_WORKERS: 'off' } });
    return [...idle, busy];
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run({ lines: Number(process.argv[2] ?? 1_000_000) })) console.log(`${r.name}: wall bare ${fmt(r.baselineMs)} vs opsmeter ${fmt(r.opsmeterMs)} = ${r.ratio.toFixed(2)}×; CPU ${fmt(r.baselineCpuMs)} vs ${fmt(r.opsmeterCpuMs)} = ${r.cpuRatio.toFixed(2)}×; peak RSS ${r.peakRssMb.toFixed(0)} MB`);
}
