// npm run bench -- import: 1,000,000-row LiteLLM spend log CSV vs a bare csv-parse loop, and a
// 1,000,000-line OpenAI Batch output JSONL vs a bare readline + JSON.parse loop, each against
// `opsmeter import` (the built CLI, writing payloads to a file), plus the import's peak RSS;
// then one import of 3,000,000 CSV rows for its peak RSS alone (BENCH_MEMORY_ROWS; 0 skips it).
// Targets (README "Performance"): CSV ≤ 1.3×, batch JSONL ≤ 1.5×, peak RSS ≤ 200 MB at any size.
import { createWriteStream, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { ROOT, busyCompare, compare, fmt, memoryRun, mulberry32, tempDir } from './lib.js';


async function writeLines(file, n, line) {
  const out = createWriteStream(file);
  let buf = '';
  for (let i = 0; i < n; i++) {
    buf += line(i);
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

const LITELLM_COLUMNS =
  'request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,request_duration_ms,completionStartTime,model,model_id,model_group,custom_llm_provider,api_base,user,metadata,cache_hit,cache_key,request_tags,team_id,organization_id,end_user,requester_ip_address,messages,response,session_id,status,mcp_namespaced_tool_name,proxy_server_request,agent_id';
const LITELLM_MODELS = [
  ['gpt-4o-mini', 'openai', 'https://api.openai.com/v1'],
  ['gpt-4o', 'openai', 'https://api.openai.com/v1'],
  ['claude-3-5-sonnet-20241022', 'anthropic', 'https://api.anthropic.com/v1/messages'],
  ['gemini-1.5-flash', 'vertex_ai', ''],
];
const csvCell = (s) => '"' + s.replace(/"/g, '""') + '"';

/** A `\copy "LiteLLM_SpendLogs" … csv header` export: 32 columns, jsonb metadata as a JSON cell. */
export function generateLitellm(file, rows) {
  const rnd = mulberry32(7);
  const t0 = Date.parse('2025-12-01T00:00:00Z');
  return writeLines(file, rows + 1, (i) => {
    if (i === 0) return LITELLM_COLUMNS + '\n';
    const [model, provider, apiBase] = LITELLM_MODELS[Math.floor(rnd() * LITELLM_MODELS.length)];
    const failed = rnd() < 0.02;
    const prompt = failed ? 0 : 50 + Math.floor(rnd() * 4000);
    const completion = failed ? 0 : 10 + Math.floor(rnd() * 800);
    const cached = Math.floor(prompt * rnd() * 0.5);
    const start = t0 + i * 1000;
    const dur = 200 + Math.floor(rnd() * 6000);
    const ts = (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
    const meta = {
      user_api_key_alias: 'team-a',
      user_api_key_team_alias: 'support',
      status: failed ? 'failure' : 'success',
      usage_object: failed ? null : { prompt_tokens: prompt, completion_tokens: completion, prompt_tokens_details: { cached_tokens: cached } },
      error_information: failed ? { error_code: '429', error_class: 'RateLimitError', error_message: 'Rate limit reached' } : null,
      model_map_information: { model_map_key: model },
    };
    return [
      `chatcmpl-${i.toString(16).padStart(12, '0')}-bench`,
      'acompletion',
      '88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b',
      ((prompt * 0.15 + completion * 0.6) / 1e6).toFixed(8),
      prompt + completion,
      prompt,
      completion,
      ts(start),
      ts(start + dur),
      dur,
      ts(start + 150),
      model,
      '',
      model,
      provider,
      apiBase,
      '',
      csvCell(JSON.stringify(meta)),
      'False',
      '',
      '[]',
      't-123',
      '',
      `customer-${Math.floor(rnd() * 5000)}`,
      '',
      '{}',
      '{}',
      '',
      failed ? 'failure' : 'success',
      '',
      '{}',
      '',
    ].join(',') + '\n';
  });
}

/** An OpenAI Batch API output file: one Chat Completion line per request, 1% error lines. */
export function generateBatch(file, lines) {
  const rnd = mulberry32(11);
  return writeLines(file, lines, (i) => {
    const id = `request-${i}`;
    if (rnd() < 0.01) {
      return JSON.stringify({ id: `batch_req_${i.toString(16)}`, custom_id: id, response: { status_code: 400, request_id: i.toString(16).padStart(32, '0'), body: { error: { message: 'Invalid request', type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } }, error: null }) + '\n';
    }
    const prompt = 20 + Math.floor(rnd() * 3000);
    const completion = 5 + Math.floor(rnd() * 600);
    return (
      JSON.stringify({
        id: `batch_req_${i.toString(16)}`,
        custom_id: id,
        response: {
          status_code: 200,
          request_id: i.toString(16).padStart(32, '0'),
          body: {
            id: `chatcmpl-${i.toString(36)}`,
            object: 'chat.completion',
            created: 1757683200 + i,
            model: 'gpt-4o-mini-2024-07-18',
            choices: [{ index: 0, message: { role: 'assistant', content: 'The ticket is about a duplicate charge; route it to billing.' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } },
            system_fingerprint: 'fp_f33667828e',
          },
        },
        error: null,
      }) + '\n'
    );
  });
}

/**
 * The import of `file` writing its payloads into the bench's folder. Each run writes a new
 * file, as a first import does: over the last run's file, ext4 (auto_da_alloc) writes the
 * truncated-and-rewritten file to disk when it is closed, ~0.2 s per 500 MB before the
 * process can exit, a cost of the path reused, not of the import.
 */
function importArgs(file, from) {
  const dir = dirname(file);
  return {
    args: ['import', file, ...from, '-o', join(dir, 'payloads.jsonl'), '--summary-json', join(dir, 'summary.json')],
    before: () => rmSync(join(dir, 'payloads.jsonl'), { force: true }),
  };
}

export async function run({ rows = 1_000_000, runs = Number(process.env.BENCH_RUNS ?? 3), memoryRows = Number(process.env.BENCH_MEMORY_ROWS ?? 3_000_000) } = {}) {
  const { dir, cleanup } = tempDir('import');
  const results = [];
  try {
    const n = rows.toLocaleString('en-US');
    const csv = join(dir, 'spend.csv');
    process.stderr.write(`import: generating ${n} LiteLLM spend-log rows…\n`);
    await generateLitellm(csv, rows);
    results.push(...(await compare({ name: `import ${n} LiteLLM CSV rows vs csv-parse`, file: csv, baseline: 'baseline-csv.cjs', ...importArgs(csv, ['--from', 'litellm']), runs, limit: 1.3 })));
    if (existsSync(join(ROOT, 'dist', 'importers', 'adapters', 'openai-batch.js'))) {
      const jsonl = join(dir, 'batch_output.jsonl');
      process.stderr.write(`import: generating ${n} OpenAI Batch output lines…\n`);
      await generateBatch(jsonl, rows);
      // This file's import writes ~520 MB of payloads. On a VM that hands freed memory back
      // to its host, a new file's pages can cost far more than the copy, and how much depends
      // on what the machine freed just before (docs/import.md "A new file's pages"): the same
      // import to stdout (here /dev/null) shows the import's own work apart from that.
      const batch = importArgs(jsonl, ['--from', 'openai-batch']);
      results.push(
        ...(await compare({
          name: `import ${n} OpenAI Batch JSONL lines vs readline+JSON.parse`,
          file: jsonl,
          baseline: 'baseline-jsonl.cjs',
          ...batch,
          runs,
          limit: 1.5,
          variants: [
            { name: `  the same on the main thread alone (OPSMETER_IMPORT_WORKERS=off)`, env: { OPSMETER_IMPORT_WORKERS: 'off' } },
            { name: `  the same to stdout (/dev/null): the import's work without the file's pages`, args: batch.args.map((a, i) => (batch.args[i - 1] === '-o' ? '-' : a)) },
          ],
        })),
      );
      process.stderr.write('import: the batch JSONL with two busy-loop processes beside it…\n');
      results.push(
        await busyCompare({
          name: `import ${n} OpenAI Batch JSONL lines on busy cores: default vs threads off`,
          ...importArgs(jsonl, ['--from', 'openai-batch']),
          runs,
          offEnv: { OPSMETER_IMPORT_WORKERS: 'off' },
        }),
      );
    } else {
      process.stderr.write('import: the openai-batch adapter is not built; skipping the batch JSONL half\n');
    }
    if (memoryRows > 0) {
      // Memory must not grow with the input (the duplicate-id index spills to disk): one run
      // at three times the size, against the same absolute bound.
      const m = memoryRows.toLocaleString('en-US');
      const big = join(dir, 'spend-big.csv');
      process.stderr.write(`import: generating ${m} LiteLLM spend-log rows…\n`);
      await generateLitellm(big, memoryRows);
      results.push(await memoryRun({ name: `import ${m} LiteLLM CSV rows, peak RSS (one run)`, ...importArgs(big, ['--from', 'litellm']) }));
      rmSync(big, { force: true });
    }
    return results;
  } finally {
    cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await run({ rows: Number(process.argv[2] ?? 1_000_000), runs: Number(process.argv[3] ?? 3) })) {
    if (r.baselineMs === undefined) console.log(`${r.name}: ${fmt(r.opsmeterMs)}, CPU ${fmt(r.opsmeterCpuMs)}; peak RSS ${r.peakRssMb.toFixed(0)} MB (target ${r.target})`);
    else console.log(`${r.name}: wall bare ${fmt(r.baselineMs)} vs opsmeter ${fmt(r.opsmeterMs)} = ${r.ratio.toFixed(2)}×; CPU ${fmt(r.baselineCpuMs)} vs ${fmt(r.opsmeterCpuMs)} = ${r.cpuRatio.toFixed(2)}×; peak RSS ${r.peakRssMb.toFixed(0)} MB (medians of ${r.runs} alternating runs; target ${r.target})`);
  }
}
