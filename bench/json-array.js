// npm run bench -- array: payload files written as one JSON array (issue 8 item 3).
// - `opsmeter validate` on a 100,000-payload array (as JSON.stringify writes it, one line, and
//   pretty-printed) against ajv-cli validating the same file with the `opsmeter schema` output
//   (wrapped as an array of it), and against a bare JSON.parse of the whole file;
// - peak RSS of `opsmeter validate` on a 3,000,000-payload array (~1.07 GB) and on the same
//   payloads as JSONL: memory stays flat (the duplicate-id index spills past 367,000 ids);
// - `opsmeter import --from litellm` on a 100,000-row LiteLLM `/spend/logs` JSON array against
//   the same bare baseline.
// Targets: validate no slower than ajv-cli; peak RSS ≤ 120 MB whatever the array's size (the
// JSONL, checked in worker threads: ≤ 200 MB, as bench -- validate).
import { createReadStream, createWriteStream, rmSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { BIN, ROOT, fmt, mulberry32, tempDir, timeNode } from './lib.js';
import { generate } from './validate.js';

const AJV = join(ROOT, 'node_modules', 'ajv-cli', 'dist', 'index.js');
const BARE = join(ROOT, 'bench', 'baseline-json-array.cjs');
const RSS_LIMIT_MB = 120;
const JSONL_RSS_LIMIT_MB = 200;

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Writes a JSON array holding the objects of a JSONL file, streamed (one line, or pretty-printed with 2 spaces). */
async function jsonlToArray(src, dst, pretty) {
  const out = createWriteStream(dst);
  let buf = pretty ? '[\n' : '[';
  let first = true;
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    if (line === '') continue;
    const item = pretty ? JSON.stringify(JSON.parse(line), null, 2).replace(/^/gm, '  ') : line;
    buf += (first ? '' : pretty ? ',\n' : ',') + item;
    first = false;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf + (pretty ? '\n]\n' : ']'));
  await once(out, 'finish');
}

/** A LiteLLM `/spend/logs` response: a JSON array of SpendLogs rows, as the proxy returns it (one line). */
async function generateSpendLogs(file, rows) {
  const rnd = mulberry32(7);
  const t0 = Date.parse('2025-12-01T00:00:00Z');
  const models = [
    ['gpt-4o-mini', 'openai', 'https://api.openai.com/v1'],
    ['gpt-4o', 'openai', 'https://api.openai.com/v1'],
    ['claude-3-5-sonnet-20241022', 'anthropic', 'https://api.anthropic.com/v1/messages'],
  ];
  const out = createWriteStream(file);
  let buf = '[';
  for (let i = 0; i < rows; i++) {
    const [model, provider, apiBase] = models[Math.floor(rnd() * models.length)];
    const prompt = 50 + Math.floor(rnd() * 4000);
    const completion = 10 + Math.floor(rnd() * 800);
    const start = t0 + i * 1000;
    const dur = 200 + Math.floor(rnd() * 6000);
    const row = {
      request_id: `chatcmpl-${i.toString(16).padStart(12, '0')}-bench`,
      call_type: 'acompletion',
      api_key: '88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b',
      spend: (prompt * 0.15 + completion * 0.6) / 1e6,
      total_tokens: prompt + completion,
      prompt_tokens: prompt,
      completion_tokens: completion,
      startTime: new Date(start).toISOString(),
      endTime: new Date(start + dur).toISOString(),
      request_duration_ms: dur,
      model,
      model_group: model,
      custom_llm_provider: provider,
      api_base: apiBase,
      user: null,
      metadata: {
        user_api_key_alias: 'team-a',
        status: 'success',
        usage_object: { prompt_tokens: prompt, completion_tokens: completion, prompt_tokens_details: { cached_tokens: Math.floor(prompt * rnd() * 0.5) } },
        model_map_information: { model_map_key: model },
      },
      cache_hit: 'False',
      request_tags: [],
      team_id: 't-123',
      end_user: `customer-${Math.floor(rnd() * 5000)}`,
      status: 'success',
    };
    buf += (i === 0 ? '' : ',') + JSON.stringify(row);
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf + ']');
  await once(out, 'finish');
}

/** Median wall/CPU and the largest peak RSS of `runs` runs of each command, alternating between them. */
async function measure(commands, runs) {
  for (const args of Object.values(commands)) await timeNode(args); // warm the page cache
  const seen = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [k, args] of Object.entries(commands)) {
      const r = await timeNode(args);
      if (r.code !== 0) throw new Error(`${k} exited ${r.code}: ${r.stderr.slice(0, 800)}`);
      seen[k].push(r);
    }
  }
  return Object.fromEntries(
    Object.entries(seen).map(([k, rs]) => [k, { ms: mid(rs.map((r) => r.ms)), cpuMs: mid(rs.map((r) => r.cpuMs)), peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)) }]),
  );
}

export async function run({ payloads = 100_000, large = 3_000_000, runs = 3 } = {}) {
  const { dir, cleanup } = tempDir('array');
  const results = [];
  try {
    const n = payloads.toLocaleString('en-US');
    const jsonl = join(dir, 'payloads.jsonl');
    process.stderr.write(`array: generating ${n} payloads as JSON arrays…\n`);
    await generate(jsonl, payloads);
    const schema = join(dir, 'payload.schema.json');
    writeFileSync(schema, execFileSync(process.execPath, [BIN, 'schema']));
    const arraySchema = join(dir, 'array.schema.json');
    writeFileSync(
      arraySchema,
      JSON.stringify({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', items: { $ref: JSON.parse(execFileSync(process.execPath, [BIN, 'schema'])).$id } }),
    );
    for (const pretty of [false, true]) {
      const file = join(dir, pretty ? 'pretty.json' : 'compact.json');
      await jsonlToArray(jsonl, file, pretty);
      const m = await measure(
        {
          bare: [BARE, file],
          opsmeter: [BIN, 'validate', '--format', 'json', '--output', join(dir, 'report.json'), file],
          ajv: [AJV, 'validate', '--spec=draft2020', '-s', arraySchema, '-r', schema, '-d', file],
        },
        runs,
      );
      results.push({
        name: `validate a ${n}-payload JSON array (${pretty ? 'pretty-printed' : 'one line'})`,
        baselineMs: m.bare.ms,
        opsmeterMs: m.opsmeter.ms,
        ratio: m.opsmeter.ms / m.bare.ms,
        baselineCpuMs: m.bare.cpuMs,
        opsmeterCpuMs: m.opsmeter.cpuMs,
        cpuRatio: m.opsmeter.cpuMs / m.bare.cpuMs,
        peakRssMb: m.opsmeter.peakRssMb,
        baselineRssMb: m.bare.peakRssMb,
        peer: { name: 'ajv-cli', ms: m.ajv.ms, cpuMs: m.ajv.cpuMs, peakRssMb: m.ajv.peakRssMb },
        target: `no slower than ajv-cli, peak RSS ≤ ${RSS_LIMIT_MB} MB`,
        ok: m.opsmeter.ms <= m.ajv.ms && m.opsmeter.peakRssMb <= RSS_LIMIT_MB,
      });
    }

    if (large > 0) {
      const l = large.toLocaleString('en-US');
      process.stderr.write(`array: generating ${l} payloads as one JSON array…\n`);
      const bigJsonl = join(dir, 'big.jsonl');
      const big = join(dir, 'big.json');
      await generate(bigJsonl, large);
      await jsonlToArray(bigJsonl, big, false);
      const gb = (f) => `${(statSync(f).size / 1e9).toFixed(2)} GB`;
      const m = await measure(
        {
          bare: [join(ROOT, 'bench', 'baseline-jsonl.cjs'), bigJsonl],
          opsmeter: [BIN, 'validate', '--format', 'json', '--output', join(dir, 'report.json'), big],
          jsonl: [BIN, 'validate', '--format', 'json', '--output', join(dir, 'report.json'), bigJsonl],
        },
        1,
      );
      // Both against readline + JSON.parse of the JSONL (a whole-file JSON.parse of the array
      // would need several GB, and so would ajv-cli).
      // The JSONL file is checked in two worker threads (docs/validate.md "Speed on a large JSONL
      // file"), whose heaps add ~60-70 MB whatever the file's size: its target is validate's
      // for JSONL (bench -- validate, 200 MB); 120 MB is the array's, read on one thread.
      for (const [k, what, limit] of [
        ['opsmeter', `a ${l}-payload JSON array (one line, ${gb(big)})`, RSS_LIMIT_MB],
        ['jsonl', `the same ${l} payloads as JSONL (${gb(bigJsonl)})`, JSONL_RSS_LIMIT_MB],
      ]) {
        results.push({
          name: `validate ${what} vs readline+JSON.parse of the JSONL`,
          baselineMs: m.bare.ms,
          opsmeterMs: m[k].ms,
          ratio: m[k].ms / m.bare.ms,
          baselineCpuMs: m.bare.cpuMs,
          opsmeterCpuMs: m[k].cpuMs,
          cpuRatio: m[k].cpuMs / m.bare.cpuMs,
          peakRssMb: m[k].peakRssMb,
          target: `peak RSS ≤ ${limit} MB`,
          ok: m[k].peakRssMb <= limit,
        });
      }
      rmSync(big);
      rmSync(bigJsonl);
    }

    const spend = join(dir, 'spend-logs.json');
    process.stderr.write(`array: generating ${n} LiteLLM /spend/logs rows as one JSON array…\n`);
    await generateSpendLogs(spend, payloads);
    const m = await measure(
      { bare: [BARE, spend], opsmeter: [BIN, 'import', spend, '--from', 'litellm', '-o', join(dir, 'out.jsonl'), '--summary-json', join(dir, 'summary.json')] },
      runs,
    );
    results.push({
      name: `import a ${n}-row LiteLLM /spend/logs JSON array`,
      baselineMs: m.bare.ms,
      opsmeterMs: m.opsmeter.ms,
      ratio: m.opsmeter.ms / m.bare.ms,
      baselineCpuMs: m.bare.cpuMs,
      opsmeterCpuMs: m.opsmeter.cpuMs,
      cpuRatio: m.opsmeter.cpuMs / m.bare.cpuMs,
      peakRssMb: m.opsmeter.peakRssMb,
      baselineRssMb: m.bare.peakRssMb,
      target: `peak RSS ≤ ${RSS_LIMIT_MB} MB`,
      ok: m.opsmeter.peakRssMb <= RSS_LIMIT_MB,
    });
    return results;
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run({ payloads: Number(process.argv[2] ?? 100_000), large: Number(process.argv[3] ?? 3_000_000) })) {
    const peer = r.peer ? `; ${r.peer.name} ${fmt(r.peer.ms)} (CPU ${fmt(r.peer.cpuMs)}, peak RSS ${r.peer.peakRssMb.toFixed(0)} MB) = ${(r.opsmeterMs / r.peer.ms).toFixed(2)}× of it` : '';
    console.log(`${r.name}: bare ${fmt(r.baselineMs)} vs opsmeter ${fmt(r.opsmeterMs)} = ${r.ratio.toFixed(2)}×; CPU ${(r.cpuRatio).toFixed(2)}×; peak RSS ${r.peakRssMb.toFixed(0)} MB${peer}`);
  }
}
