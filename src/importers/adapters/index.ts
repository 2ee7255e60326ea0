/**
 * The registry of import adapters, by --from id. One line per adapter module
 * (`src/importers/<id>.ts`, each exporting `adapter`); the order is the order
 * `--from auto` tries them and --help lists them.
 */
import type { Adapter, FormatId } from '../types.js';
import { adapter as openaiBatch } from './openai-batch.js';
import { adapter as openaiLog } from './openai-log.js';
import { adapter as anthropicBatch } from './anthropic-batch.js';
import { adapter as anthropicLog } from './anthropic-log.js';
import { adapter as claudeCode } from './claude-code.js';
import { adapter as codex } from './codex.js';
import { adapter as gemini } from './gemini.js';
import { adapter as geminiCli } from './gemini-cli.js';
import { adapter as opencode } from './opencode.js';
import { adapter as otel } from './otel.js';
import { adapter as litellm } from './litellm.js';
import { adapter as openrouter } from './openrouter.js';
import { adapter as bedrock } from './bedrock.js';
import { adapter as csv } from './csv.js';
import { adapter as jsonl } from './jsonl.js';

export const ADAPTERS: readonly Adapter[] = [
  openaiBatch,
  openaiLog,
  anthropicBatch,
  anthropicLog,
  claudeCode,
  codex,
  gemini,
  geminiCli,
  opencode,
  otel,
  litellm,
  openrouter,
  bedrock,
  csv,
  jsonl,
];

export function adapterById(id: string): Adapter | undefined {
  return ADAPTERS.find((a) => a.id === id);
}

export function formatIds(): FormatId[] {
  return ADAPTERS.map((a) => a.id);
}
