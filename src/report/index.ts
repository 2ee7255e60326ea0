/**
 * The renderer registry: one module per output format, chosen by --format. Only the chosen
 * one is loaded: every module costs start-up time (~1-2 ms each), and a run prints one format.
 */
import type { Renderer } from './types.js';

const LOADERS = {
  pretty: async () => (await import('./pretty.js')).renderPretty,
  json: async () => (await import('./json.js')).renderJson,
  github: async () => (await import('./github.js')).renderGithub,
  sarif: async () => (await import('./sarif.js')).renderSarif,
  junit: async () => (await import('./junit.js')).renderJunit,
} as const satisfies Record<string, () => Promise<Renderer>>;

export type ReportFormat = keyof typeof LOADERS;

export function loadRenderer(format: ReportFormat): Promise<Renderer> {
  return LOADERS[format]();
}
