/**
 * The renderer registry: one module per output format, chosen by --format. Only the chosen
 * one is loaded: every module costs start-up time (~1-2 ms each), and a run prints one format.
 */
import type { Renderer } from './types.js';

const LOADERS = {
  pretty: async () => (await import('./pretty.js')).streamPretty,
  json: async () => (await import('./json.js')).streamJson,
  github: async () => (await import('./github.js')).streamGithub,
  sarif: async () => (await import('./sarif.js')).streamSarif,
  junit: async () => (await import('./junit.js')).streamJunit,
} as const satisfies Record<string, () => Promise<Renderer>>;

export type ReportFormat = keyof typeof LOADERS;

export function loadRenderer(format: ReportFormat): Promise<Renderer> {
  return LOADERS[format]();
}
