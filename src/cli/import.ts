/**
 * `opsmeter import [paths...] --from FORMAT` — provider exports and logs → payload JSONL.
 * Flags in, pipeline (src/importers/run.ts) in the middle, summary and exit code out.
 * The importers (and everything they load) are imported only when the command runs.
 *
 * With --send the payloads stream into the sender (src/cli/send-session.ts) as they are
 * converted, through a bounded queue (src/cli/import-send-queue.ts); every send flag
 * applies (addSendOptions), and both summaries are printed.
 */
import { Option, type Command } from 'commander';
import type { SendFlags } from './send-session.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { addConfigOptions, resolveSettings, type ConfigFlags } from './config-options.js';
import { countFromEnv, loadCatalog, parallelPlan, stdinIsPiped } from './shared.js';
import { addSendOptions } from './send.js';

/** Listed here (not imported from the registry) so registering the command stays cheap. */
const FORMATS = ['auto', 'openai-batch', 'openai-log', 'anthropic-batch', 'anthropic-log', 'claude-code', 'codex', 'gemini', 'litellm', 'openrouter', 'bedrock', 'csv', 'jsonl'];

interface ImportFlags extends SendFlags, ConfigFlags {
  send?: boolean;
  from: string;
  map: string[];
  output?: string;
  rejects?: string;
  summaryJson?: string;
  dataMode: 'real' | 'test' | 'demo';
  environment: 'prod' | 'staging' | 'dev';
  endpointTag?: string;
  promptVersion?: string;
  hashUserIds?: string;
  stdinFilename?: string;
  catalog?: string;
  batchId?: string;
  provider?: string;
  model?: string;
}

/** Payloads that may wait between the import and the sender (--send). */
const SEND_QUEUE = 1000;

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerImport(program: Command): void {
  const cmd = program
    .command('import')
    .description('convert provider usage exports and request logs (CSV / JSONL / JSON, .gz too) into payload JSONL')
    .argument('[paths...]', 'files, directories, globs, or - for stdin')
    .addOption(new Option('--from <format>', 'source format (auto sniffs each file\'s first records and says what it chose; a folder of several formats is read in one run)').choices(FORMATS).default('auto'))
    .option('--map <field=source>', 'generic csv/jsonl: payload field from a column, JSON path or \'literal\' (repeatable)', collect, [])
    .option('-o, --output <file>', 'write payload JSONL here instead of stdout')
    .option('--rejects <file>', 'write every rejected row here as JSONL {file, line, reason, raw}')
    .option('--summary-json <file>', 'write the summary as JSON here')
    .addOption(new Option('--data-mode <mode>', 'dataMode for rows that lack one').choices(['real', 'test', 'demo']).default('real'))
    .addOption(new Option('--environment <env>', 'environment for rows that lack one').choices(['prod', 'staging', 'dev']).default('prod'))
    .option('--endpoint-tag <tag>', 'endpointTag for rows that lack one')
    .option('--prompt-version <version>', 'promptVersion for rows that lack one')
    .addOption(
      new Option('--hash-user-ids <salt>', 'replace userId/tenantId with u_ + hex HMAC-SHA256(salt, id); externalRequestId is keyed by the salt too').env('OPSMETER_HASH_SALT'),
    )
    .option('--batch-id <id>', 'openai-batch / anthropic-batch: the batch these files belong to; lines without a global id become <id>:<custom_id> (default: a batch id in the file name)')
    .option('--model <id>', 'bedrock batch output: the job\'s modelId, the model of every line (lines name none, or Anthropic outputs only the Anthropic name)')
    .option('--provider <id>', 'the provider of every payload, overriding what the records say (OpenAI-compatible logs: mistral, groq, deepseek, …)')
    .option('--stdin-filename <name>', 'name stdin in reports (its extension picks CSV or JSON)')
    .option('--send', 'send the payloads to the ingest API as they are converted (the flags below apply)');
  addConfigOptions(cmd); // the lint gate's rule settings (and the sender's, with --send)
  const importOptions = cmd.options.length;
  addSendOptions(cmd); // also --catalog, which the import uses too
  const sendOnly = cmd.options.slice(importOptions).filter((o) => o.attributeName() !== 'catalog');
  cmd
    .addHelpText(
      'after',
      [
        '',
        'Every row read ends up complete, partial (usage missing: metadata.usageStatus="partial"),',
        'skipped (with a reason) or rejected (with a reason); the summary on stderr checks',
        'read = complete + partial + skipped + rejected.',
        '',
        'Exit codes: 0 all rows accounted, none rejected · 1 some rows rejected (the rest still written)',
        '            2 usage or IO error, unknown or aggregate-only format',
        '',
        '--send streams the payloads into the sender (see `opsmeter send --help` for its flags).',
        'Imported payloads are dataMode "real" unless --data-mode says otherwise, so sending needs',
        '--allow-real (a real backfill) or --data-mode test (a trial). With --send, stdout carries',
        'no payloads (-o FILE keeps a copy); both summaries go to stderr (--format json: the send',
        'summary to stdout). Exit code: the larger of the import\'s (0/1) and the send\'s',
        '(0/1/3/4/5; 130 interrupted).',
        'Examples:',
        '  opsmeter import spend.csv --from litellm -o payloads.jsonl --rejects rejects.jsonl',
        '  opsmeter import openrouter_activity_2026-06-28.csv --hash-user-ids "$SALT"',
        '  opsmeter import usage.csv --from csv --map provider=vendor --map model=model_name \\',
        '      --map inputTokens=in --map outputTokens=out --map createdAt=ts',
        '  opsmeter import spend.csv --from litellm | opsmeter validate -',
        '  opsmeter import msgbatch_01Hk…_results.jsonl --data-mode test --environment staging --send --journal sent.jsonl',
      ].join('\n'),
    )
    .action(async (paths: string[], flags: ImportFlags, command: Command) => {
      process.exitCode = await runImportCommand(paths, flags, command, sendOnly);
    });
}

/** --send's preconditions, checked before anything is read or written. */
async function checkSend(flags: ImportFlags, command: Command, sendOnly: readonly Option[]): Promise<void> {
  if (!flags.send) {
    const given = sendOnly.find((o) => command.getOptionValueSource(o.attributeName()) === 'cli');
    if (given) throw new OpsmeterError(`${given.long} applies with --send only`, EXIT.usage, 'add --send to send the payloads as they are imported');
    return;
  }
  if (flags.output === '-') throw new OpsmeterError('with --send the payloads go to the API, not to stdout', EXIT.usage, 'keep a copy with -o FILE');
  if (flags.dataMode === 'real' && !flags.allowReal) {
    const given = command.getOptionValueSource('dataMode') === 'cli';
    throw new OpsmeterError(
      `refusing to send: the imported payloads are dataMode "real"${given ? '' : ' (the default of --data-mode)'}, and real data is sent only with --allow-real`,
      EXIT.usage,
      'for a trial run use --data-mode test (and --environment staging); for a real backfill add --allow-real',
    );
  }
  // Target and key before the import starts, so a typo does not cost a long import.
  const { resolveTargetChecked, resolveApiKey, API_KEY_HINT } = await import('../ingest/config.js');
  await resolveTargetChecked(flags);
  if (!flags.dryRun && !resolveApiKey(flags)) throw new OpsmeterError('no API key', EXIT.usage, API_KEY_HINT);
}

async function runImportCommand(paths: string[], flags: ImportFlags, command: Command, sendOnly: readonly Option[]): Promise<number> {
  await checkSend(flags, command, sendOnly);
  const [{ expandPaths }, registry, run, { runGroups }, detect, generic, summary, { LineSink }, { writeFile }, { BatchIds }, { PayloadQueue, SendingStopped }, { PriceBook }] = await Promise.all([
    import('../read/paths.js'),
    import('../importers/adapters/index.js'),
    import('../importers/run.js'),
    import('../importers/run-groups.js'),
    import('../importers/detect.js'),
    import('../importers/adapters/generic.js'),
    import('../importers/import-summary.js'),
    import('../importers/sink.js'),
    import('node:fs/promises'),
    import('../importers/readers/batch-id.js'),
    import('./import-send-queue.js'),
    import('../prices/library.js'),
  ]);

  // --map belongs to the generic formats, which cannot be sniffed.
  const generic_ = flags.from === 'csv' || flags.from === 'jsonl';
  let map: Record<string, string> = {};
  if (flags.map.length > 0 && !generic_) {
    throw new OpsmeterError(`--map applies to --from csv and --from jsonl only${flags.from === 'auto' ? ' (auto cannot pick a generic format)' : ''}`, EXIT.usage);
  }
  if (generic_) {
    map = generic.parseMap(flags.map);
    const missing = generic.missingMappings(map);
    if (missing.length > 0) {
      throw new OpsmeterError(
        `--from ${flags.from} needs --map for ${missing.join(', ')}`,
        EXIT.usage,
        `e.g. --map provider=vendor --map model=model_name --map inputTokens=${flags.from === 'csv' ? 'prompt_tokens' : 'usage.prompt_tokens'} --map outputTokens=${flags.from === 'csv' ? 'completion_tokens' : 'usage.completion_tokens'} (provider may be a literal: --map "provider='openai'")`,
      );
    }
  }
  if (flags.hashUserIds !== undefined && flags.hashUserIds === '') throw new OpsmeterError('--hash-user-ids needs a non-empty salt', EXIT.usage);
  const BATCH_FORMATS = ['auto', 'openai-batch', 'anthropic-batch', 'bedrock'];
  if (flags.batchId !== undefined) {
    if (!BATCH_FORMATS.includes(flags.from)) throw new OpsmeterError(`--batch-id applies to --from openai-batch, anthropic-batch and bedrock (batch output) only`, EXIT.usage);
    if (!/^[\x21-\x7e]{1,128}$/.test(flags.batchId)) throw new OpsmeterError('--batch-id must be 1–128 printable characters without spaces', EXIT.usage, 'e.g. --batch-id msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d');
  }

  if (flags.provider !== undefined && !/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(flags.provider)) {
    throw new OpsmeterError('--provider must be a provider id (letters, digits, . _ -)', EXIT.usage, 'e.g. --provider mistral (see `opsmeter catalog` for the ids)');
  }
  if (flags.model !== undefined) {
    if (flags.from !== 'auto' && flags.from !== 'bedrock') throw new OpsmeterError('--model applies to --from bedrock (batch output lines that name no model) only', EXIT.usage);
    if (!/^[\x21-\x7e]{1,256}$/.test(flags.model)) throw new OpsmeterError('--model must be a model id (printable characters, no spaces)', EXIT.usage, 'e.g. --model amazon.titan-text-express-v1');
  }
  if (paths.length === 0) {
    if (stdinIsPiped()) paths = ['-'];
    else throw new OpsmeterError('no input: give export files, directories or globs, or pipe one on stdin', EXIT.usage, 'opsmeter import spend.csv --from litellm');
  }
  const expand = async (include: RegExp) => {
    const r = await expandPaths(paths, { stdinName: flags.stdinFilename, include });
    if (r.emptyMatches.length > 0) {
      throw new OpsmeterError(`nothing to import in ${r.emptyMatches.map((p) => `"${p}"`).join(', ')}`, EXIT.usage, 'check the path, or quote the glob');
    }
    return r.sources;
  };
  const ANY_INPUT = /\.(csv|json|jsonl|ndjson|jsonl\.out)(\.gz)?$/i;

  type Source = import('../read/records.js').Source;
  let autoReason: string | undefined;
  let found: { adapter: import('../importers/types.js').Adapter; sources: Source[] }[];
  const opened = new Map<Source, import('../importers/source.js').OpenedSource>();
  if (flags.from === 'auto') {
    const all = await expand(ANY_INPUT);
    const detection = await detect.detect(all);
    autoReason = detection.reason;
    found = detection.groups;
    if (found.length === 1) {
      const adapter = found[0]!.adapter;
      process.stderr.write(`opsmeter import: --from auto chose ${adapter.id} (${autoReason})\n`);
      const sources = all.some((s) => s.path !== '-') ? await expand(adapter.fileFilter ?? ANY_INPUT) : all;
      found = [{ adapter, sources }];
    } else {
      // Several formats: each file is read as the format found for it (the summary lists them).
      process.stderr.write(`opsmeter import: --from auto found ${autoReason}\n`);
    }
    // Re-expanding creates new Source objects: carry the opened stdin over.
    if (detection.openedStdin) for (const g of found) for (const s of g.sources) if (s.path === '-') opened.set(s, detection.openedStdin);
  } else {
    const adapter = registry.adapterById(flags.from);
    if (!adapter) {
      throw new OpsmeterError(`--from ${flags.from}: this build has no ${flags.from} importer yet`, EXIT.usage, `available: ${registry.formatIds().join(', ')}`);
    }
    found = [{ adapter, sources: await expand(adapter.fileFilter ?? ANY_INPUT) }];
  }
  const ids = found.map((g) => g.adapter.id);
  const chose = ids.length === 1 ? `--from auto chose ${ids[0]}` : `--from auto found ${ids.join(', ')}`;
  if (flags.batchId !== undefined && !ids.some((id) => BATCH_FORMATS.includes(id))) {
    throw new OpsmeterError(`--batch-id applies to openai-batch, anthropic-batch and bedrock files; ${chose}`, EXIT.usage);
  }
  if (flags.model !== undefined && !ids.includes('bedrock')) {
    throw new OpsmeterError(`--model applies to bedrock batch output; ${chose}`, EXIT.usage);
  }
  const settings = await resolveSettings(flags);
  const catalog = loadCatalog(flags.catalog ?? settings.catalog);
  const now = Date.now();
  const prices = await PriceBook.load(new Date(now));
  const groups = found.map((g) => {
    const id = g.adapter.id;
    const batchIds = id === 'openai-batch' || id === 'anthropic-batch' || id === 'bedrock' ? new BatchIds(id, flags.batchId) : undefined;
    return { adapter: g.adapter, sources: g.sources, ctx: { map, batchIds, model: id === 'bedrock' ? flags.model : undefined } };
  });
  // Every CSV header of every format is checked before anything is written.
  for (const g of groups) {
    const pre = await run.openAllSources(g.adapter, g.ctx, g.sources.filter((s) => !opened.has(s)));
    for (const [s, o] of pre) opened.set(s, o);
  }

  const toFile = flags.output !== undefined && flags.output !== '-';
  const file = toFile ? LineSink.toFile(flags.output!) : undefined;
  const queue = flags.send ? new PayloadQueue(SEND_QUEUE, file) : undefined;
  const stdout = queue || file ? undefined : LineSink.toStdout();
  const output = queue ?? file ?? stdout!;
  const rejects = flags.rejects ? LineSink.toFile(flags.rejects) : undefined;
  // The send session draws its own progress line; two on one terminal would fight.
  const tty = process.stderr.isTTY === true && !queue;
  let progressShown = false;
  const started = Date.now();

  // The sender pulls from the queue while the import fills it. Its outcome is kept as a
  // value, so a failure before the import ends is not an unhandled rejection; when the
  // session ends for any reason the queue is cancelled, which stops the import.
  let sending: Promise<{ code: number } | { error: unknown }> | undefined;
  if (queue) {
    const { runSendSession } = await import('./send-session.js');
    sending = runSendSession(queue, flags, { catalog, rules: settings.rules }).then(
      (code) => ({ code }),
      (error: unknown) => ({ error }),
    );
    void sending.then(() => queue.cancel());
  }

  let tally;
  let importError: unknown;
  try {
    tally = await runGroups(groups, {
      catalog,
      defaults: { dataMode: flags.dataMode, environment: flags.environment, endpointTag: flags.endpointTag, promptVersion: flags.promptVersion },
      hashSalt: flags.hashUserIds,
      provider: flags.provider,
      rules: settings.rules,
      output,
      rejects,
      opened,
      now,
      prices,
      parallel: parallelPlan('OPSMETER_IMPORT_WORKERS'),
      idIndexEntries: countFromEnv('OPSMETER_IMPORT_INDEX_ENTRIES'),
      onProgress: tty
        ? (rows, fileIndex, files) => {
            progressShown = true;
            const secs = (Date.now() - started) / 1000;
            process.stderr.write(`\r\x1b[K  importing: ${rows.toLocaleString('en-US')} rows read · file ${fileIndex + 1}/${files} · ${Math.round(rows / Math.max(secs, 0.001)).toLocaleString('en-US')} rows/s`);
          }
        : undefined,
    });
    await (file ?? stdout)?.end();
    await rejects?.end();
  } catch (e) {
    importError = e;
  }
  // Whatever happened, the sender gets what was converted, then the end of the input.
  queue?.end();
  if (progressShown) process.stderr.write('\r\x1b[K');
  if (importError !== undefined) {
    const sent = sending ? await sending : undefined;
    if (importError instanceof SendingStopped && sent) {
      if ('error' in sent) throw sent.error;
      process.stderr.write(`opsmeter import: stopped after ${queue!.written.toLocaleString('en-US')} payloads because sending stopped; the import summary is incomplete\n`);
      return Math.max(sent.code, EXIT.failed);
    }
    throw importError;
  }
  if (!tally) throw new Error('import finished without a tally');

  const sctx = {
    format: groups.length === 1 ? groups[0]!.adapter.id : ('mixed' as const),
    chosenBy: flags.from === 'auto' ? ('auto' as const) : ('flag' as const),
    autoReason,
    catalog,
    defaults: { dataMode: flags.dataMode, environment: flags.environment, endpointTag: flags.endpointTag, promptVersion: flags.promptVersion },
    userIdsHashed: flags.hashUserIds !== undefined,
    output: queue ? `the API (--send)${toFile ? ` and ${flags.output!}` : ''}` : toFile ? flags.output! : 'stdout',
    rejectsFile: flags.rejects,
    notes: groups.flatMap((g) => g.ctx.batchIds?.notes(g.sources.map((src) => src.name)) ?? []),
    now: new Date(now).toISOString(),
  };
  if (flags.from !== 'auto') sctx.notes.push(...(await otherFormats(tally.files, groups[0]!.sources, flags.from, detect.formatOfFile)));
  const s = summary.buildSummary(tally, sctx);
  if (flags.summaryJson) {
    try {
      await writeFile(flags.summaryJson, JSON.stringify(s, null, 2) + '\n');
    } catch (e) {
      if (sending) await sending; // let the send finish and report first
      throw new OpsmeterError(`cannot write ${flags.summaryJson}: ${(e as Error).message}`, EXIT.usage);
    }
  }
  // On a terminal the send's progress line may be showing: start on a clean line.
  process.stderr.write((queue && process.stderr.isTTY ? '\r\x1b[2K' : '') + summary.summaryText(s, sctx, { chart: process.stderr.isTTY === true }));
  if (!s.invariantHolds) throw new Error(`import invariant broken: ${s.invariant}`);
  const importCode = s.rejected.total > 0 ? EXIT.failed : EXIT.ok;
  if (!sending) return importCode;
  const sent = await sending;
  if ('error' in sent) throw sent.error;
  // The send's codes (1 rejected/refused, 3 paused/blocked, 4 auth, 5 gave up, 130
  // interrupted) are all at least the import's 1, so the larger code is the one that matters.
  return Math.max(importCode, sent.code);
}

/** Files of a `--from X` run whose every row was rejected and that look like another format: one note each. */
async function otherFormats(
  files: readonly { file: string; rows: number; rejected: number }[],
  sources: readonly import('../read/records.js').Source[],
  from: string,
  formatOf: (s: import('../read/records.js').Source) => Promise<{ id: string } | undefined>,
): Promise<string[]> {
  const notes: string[] = [];
  const MAX = 20; // each is opened again to look at it; a run of thousands of wrong files needs no more
  const wrong = files.filter((f) => f.rows > 0 && f.rejected === f.rows);
  const byName = new Map(sources.map((s) => [s.name, s]));
  for (const f of wrong.slice(0, MAX)) {
    const source = byName.get(f.file);
    const other = source && (await formatOf(source));
    if (other && other.id !== from) notes.push(`⚠ ${f.file} looks like ${other.id}, not ${from}: its ${f.rows.toLocaleString('en-US')} rows were rejected (import it with --from ${other.id}, or --from auto to read each file as its own format)`);
  }
  if (wrong.length > MAX) notes.push(`⚠ ${wrong.length - MAX} more files had every row rejected (see --summary-json files[].rejected)`);
  return notes;
}
