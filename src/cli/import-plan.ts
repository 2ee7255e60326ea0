/**
 * The plan of `opsmeter import`: its flags checked and resolved, pure (see plan.ts). The
 * checks that need the input are the action's (import.ts): which format each file is
 * (--from auto), then checkFormatsFound (--batch-id and --model against what was found),
 * the CSV headers against --map, and opsmeter.config.json. With --send, openTarget
 * (send-session.ts) looks up a *.localhost target and reads an --api-key-file before the
 * import starts.
 */
import { Command } from 'commander';
import type { ConfigFlags } from './config-options.js';
import type { SendFlags } from './send-options.js';
import { addSendOptions } from './send-options.js';
import { planSession, type SessionPlan } from './send-plan.js';
import { countFromEnv, parallelPlan } from './shared.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { missingMappings, parseMap } from '../importers/adapters/generic.js';
import { planOrError, type CommandLine, type PlanEnv } from './plan.js';

/** The --from values, listed here (not read from the adapter registry) so defining the command stays cheap. */
export const FORMATS = ['auto', 'openai-batch', 'openai-log', 'anthropic-batch', 'anthropic-log', 'claude-code', 'codex', 'gemini', 'gemini-cli', 'opencode', 'otel', 'litellm', 'openrouter', 'bedrock', 'csv', 'jsonl'];
/** The formats a --batch-id applies to (auto: when it finds one of them). */
const BATCH_FORMATS = ['auto', 'openai-batch', 'anthropic-batch', 'bedrock'];

/** `opsmeter import`'s flags as commander parses them. */
export interface ImportFlags extends SendFlags, ConfigFlags {
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

/** The values of fields a source lacks (undefined: none). */
export interface ImportDefaults {
  dataMode: 'real' | 'test' | 'demo';
  environment: 'prod' | 'staging' | 'dev';
  endpointTag: string | undefined;
  promptVersion: string | undefined;
}

export interface ImportPlan {
  /** Files, directories and globs; ['-'] is stdin. */
  paths: string[];
  /** What reports call stdin (its extension picks CSV or JSON). */
  stdinName?: string;
  /** A format id, or auto (sniff each file). */
  from: string;
  /** --map, parsed (the generic formats; {} otherwise). */
  map: Record<string, string>;
  batchId?: string;
  /** Bedrock batch output: the model of every line. */
  model?: string;
  /** The provider of every payload. */
  provider?: string;
  /** --hash-user-ids (or OPSMETER_HASH_SALT). */
  hashSalt?: string;
  defaults: ImportDefaults;
  /** opsmeter.config.json and --rule, read by the action; --catalog (or OPSMETER_CATALOG) beats the config's catalog. */
  config: ConfigFlags;
  catalog?: string;
  /** -o FILE; undefined (or `-o -`): stdout, unless the payloads are sent. */
  output?: string;
  rejects?: string;
  summaryJson?: string;
  /** --send: the sender's plan; the payloads go to the API (and to `output`, if given), not to stdout. */
  send?: SessionPlan;
  /** Worker threads for large JSONL files (OPSMETER_IMPORT_WORKERS). */
  parallel: ReturnType<typeof parallelPlan>;
  /** Ids the duplicate-id index keeps in memory before it spills (OPSMETER_IMPORT_INDEX_ENTRIES, for tests; default: the index's own). */
  idIndexEntries?: number;
}

/** The send flags `import` takes for --send only, attribute name → flag (all but --catalog, which the import uses too). */
const SEND_ONLY = new Map(
  addSendOptions(new Command())
    .options.filter((o) => o.attributeName() !== 'catalog')
    .map((o) => [o.attributeName(), o.long ?? o.flags]),
);

export function planImport(line: CommandLine<ImportFlags>, env: PlanEnv): ImportPlan | OpsmeterError {
  return planOrError(() => {
    const { flags } = line;
    // --send's preconditions first: a refused send must not cost an import.
    const send = planImportSend(line, env);
    const map = planMap(flags);
    if (flags.hashUserIds !== undefined && flags.hashUserIds === '') throw new OpsmeterError('--hash-user-ids needs a non-empty salt', EXIT.usage);
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
    let paths = line.paths;
    if (paths.length === 0) {
      if (env.stdinPiped) paths = ['-'];
      else throw new OpsmeterError('no input: give export files, directories or globs, or pipe one on stdin', EXIT.usage, 'opsmeter import spend.csv --from litellm');
    }
    return {
      paths,
      stdinName: flags.stdinFilename,
      from: flags.from,
      map,
      batchId: flags.batchId,
      model: flags.model,
      provider: flags.provider,
      hashSalt: flags.hashUserIds,
      defaults: { dataMode: flags.dataMode, environment: flags.environment, endpointTag: flags.endpointTag, promptVersion: flags.promptVersion },
      config: { config: flags.config, rule: flags.rule },
      catalog: flags.catalog,
      output: flags.output === '-' ? undefined : flags.output,
      rejects: flags.rejects,
      summaryJson: flags.summaryJson,
      send,
      parallel: parallelPlan('OPSMETER_IMPORT_WORKERS', env.vars, env.cores),
      idIndexEntries: countFromEnv('OPSMETER_IMPORT_INDEX_ENTRIES', env.vars),
    };
  });
}

/** --send's preconditions, checked before anything is read or written; without --send, no send flag applies. */
function planImportSend({ flags, given }: CommandLine<ImportFlags>, env: PlanEnv): SessionPlan | undefined {
  if (!flags.send) {
    const name = [...given].find((n) => SEND_ONLY.has(n));
    if (name) throw new OpsmeterError(`${SEND_ONLY.get(name)} applies with --send only`, EXIT.usage, 'add --send to send the payloads as they are imported');
    return undefined;
  }
  if (flags.output === '-') throw new OpsmeterError('with --send the payloads go to the API, not to stdout', EXIT.usage, 'keep a copy with -o FILE');
  if (flags.dataMode === 'real' && !flags.allowReal) {
    throw new OpsmeterError(
      `refusing to send: the imported payloads are dataMode "real"${given.has('dataMode') ? '' : ' (the default of --data-mode)'}, and real data is sent only with --allow-real`,
      EXIT.usage,
      'for a trial run use --data-mode test (and --environment staging); for a real backfill add --allow-real',
    );
  }
  // The target and the key before the import starts, so a typo does not cost a long import.
  return planSession(flags, env);
}

/** --map belongs to the generic formats, which cannot be sniffed, and they need it. */
function planMap(flags: ImportFlags): Record<string, string> {
  const generic = flags.from === 'csv' || flags.from === 'jsonl';
  if (!generic) {
    if (flags.map.length > 0) throw new OpsmeterError(`--map applies to --from csv and --from jsonl only${flags.from === 'auto' ? ' (auto cannot pick a generic format)' : ''}`, EXIT.usage);
    return {};
  }
  const map = parseMap(flags.map);
  const missing = missingMappings(map);
  if (missing.length > 0) {
    const csv = flags.from === 'csv';
    throw new OpsmeterError(
      `--from ${flags.from} needs --map for ${missing.join(', ')}`,
      EXIT.usage,
      `e.g. --map provider=vendor --map model=model_name --map inputTokens=${csv ? 'prompt_tokens' : 'usage.prompt_tokens'} --map outputTokens=${csv ? 'completion_tokens' : 'usage.completion_tokens'} (provider may be a literal: --map "provider='openai'")`,
    );
  }
  return map;
}

/** --batch-id and --model against the formats the run found (a check that needs the input: --from auto reads it). */
export function checkFormatsFound(plan: ImportPlan, ids: readonly string[]): OpsmeterError | undefined {
  const chose = ids.length === 1 ? `--from auto chose ${ids[0]}` : `--from auto found ${ids.join(', ')}`;
  if (plan.batchId !== undefined && !ids.some((id) => BATCH_FORMATS.includes(id))) {
    return new OpsmeterError(`--batch-id applies to openai-batch, anthropic-batch and bedrock files; ${chose}`, EXIT.usage);
  }
  if (plan.model !== undefined && !ids.includes('bedrock')) return new OpsmeterError(`--model applies to bedrock batch output; ${chose}`, EXIT.usage);
  return undefined;
}
