/** Machine output: the whole result as one JSON document (stable field names). */
import type { Renderer } from './types.js';

export const renderJson: Renderer = (result, ctx) =>
  JSON.stringify(
    {
      tool: { name: 'opsmeter', version: ctx.version },
      catalog: ctx.catalog,
      summary: {
        ...result.counts,
        omitted: result.omitted,
        bailed: result.bailed,
        strict: ctx.strict,
        ...(ctx.maxWarnings !== undefined ? { maxWarnings: ctx.maxWarnings } : {}),
        ...(result.quietWarnings > 0 ? { quietWarnings: result.quietWarnings } : {}),
      },
      ...(ctx.ruleSettings && Object.keys(ctx.ruleSettings).length > 0 ? { rules: ctx.ruleSettings } : {}),
      byRule: result.byRule,
      files: result.files,
      problems: result.problems.map(({ excerpt: _excerpt, excerptColumn: _excerptColumn, ...p }) => p),
    },
    null,
    2,
  ) + '\n';
