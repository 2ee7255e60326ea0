/** The renderer registry: one module per output format, chosen by --format. */
import { renderGithub } from './github.js';
import { renderJson } from './json.js';
import { renderJunit } from './junit.js';
import { renderPretty } from './pretty.js';
import { renderSarif } from './sarif.js';
import type { Renderer } from './types.js';

export const RENDERERS = {
  pretty: renderPretty,
  json: renderJson,
  github: renderGithub,
  sarif: renderSarif,
  junit: renderJunit,
} as const satisfies Record<string, Renderer>;

export type ReportFormat = keyof typeof RENDERERS;
export const REPORT_FORMATS = Object.keys(RENDERERS) as ReportFormat[];
export type { Renderer, RenderContext } from './types.js';
