/** The one-paragraph summary shared by pretty and github output (and stderr). */
import type { ValidateResult } from '../validate/validate.js';
import type { RenderContext } from './types.js';

/** 1234567 → "1,234,567" without toLocaleString, whose ICU start-up costs ~30 ms. */
const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const plural = (n: number, one: string, many = one + 's') => `${thousands(n)} ${n === 1 ? one : many}`;

export function summaryLines(result: ValidateResult, ctx: RenderContext): string[] {
  const c = ctx.paint;
  const { files, records, errors, warnings } = result.counts;
  const scope = `${plural(files, 'file')}, ${plural(records, 'payload')} checked against the contract (catalog ${ctx.catalog})`;
  const lines: string[] = [];
  if (errors === 0 && warnings === 0) {
    lines.push(c.green(`✔ no problems: ${scope}`));
  } else {
    const failing = errors > 0 || (ctx.strict && warnings > 0);
    const mark = failing ? c.red('✖') : c.yellow('⚠');
    lines.push(`${mark} ${plural(errors + warnings, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')}): ${scope}`);
    if (!failing) lines.push(c.gray('  warnings only: exit 0 (use --strict to fail on warnings)'));
    else if (errors === 0) lines.push(c.gray('  --strict: warnings fail the run'));
  }
  if (result.omitted > 0) lines.push(c.gray(`  ${plural(result.omitted, 'more problem')} not shown (raise --max-errors to see them)`));
  if (result.bailed) lines.push(c.gray('  stopped at the first error (--bail)'));
  return lines;
}
