/** The one-paragraph summary shared by pretty and github output (and stderr). */
import type { ValidateOutcome } from '../validate/validate.js';
import type { RenderContext } from './types.js';

/** 1234567 → "1,234,567" without toLocaleString, whose ICU start-up costs ~30 ms. */
const thousands = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const plural = (n: number, one: string, many = one + 's') => `${thousands(n)} ${n === 1 ? one : many}`;

/** `grouped`: pretty counted some problems by rule instead of listing them (they are not "not shown"). */
export function summaryLines(result: Omit<ValidateOutcome, 'problems'>, ctx: RenderContext, grouped = false): string[] {
  const c = ctx.paint;
  const { files, records, errors, warnings } = result.counts;
  const scope = ctx.scope ?? `${plural(files, 'file')}, ${plural(records, 'payload')} checked against the contract (catalog ${ctx.catalog})`;
  const lines: string[] = [];
  if (errors === 0 && warnings === 0) {
    lines.push(c.green(`✔ no problems: ${scope}`));
  } else {
    const tooMany = ctx.maxWarnings !== undefined && warnings > ctx.maxWarnings;
    const failing = errors > 0 || (ctx.strict && warnings > 0) || tooMany;
    const mark = failing ? c.red('✖') : c.yellow('⚠');
    lines.push(`${mark} ${plural(errors + warnings, 'problem')} (${plural(errors, 'error')}, ${plural(warnings, 'warning')}): ${scope}`);
    if (!failing) lines.push(c.gray('  warnings only: exit 0 (use --strict to fail on warnings)'));
    else if (errors === 0) lines.push(c.gray(ctx.strict ? '  --strict: warnings fail the run' : `  more than ${plural(ctx.maxWarnings!, 'warning')} allowed (--max-warnings): the run fails`));
  }
  if (result.quietWarnings > 0) lines.push(c.gray(`  ${plural(result.quietWarnings, 'warning')} not listed (--quiet)`));
  if (result.warningsSkipped) lines.push(c.gray('  warnings not checked (--quiet; with --max-warnings or --strict they are counted)'));
  if (grouped) {
    // pretty counted what it did not print on a line per rule, above: say how to list it all.
    lines.push(c.gray(`  a rule's problems past ${ctx.groupAfter} are counted above, not listed (--max-errors N lists every problem, up to N)`));
  } else if (result.omitted > 0) {
    const which = result.omittedErrors === 0 ? 'warning' : 'problem';
    const errorsNote = result.omittedErrors === 0 && errors > 0 ? '; every error is shown' : '';
    lines.push(c.gray(`  ${plural(result.omitted, `more ${which}`)} not shown${errorsNote} (raise --max-errors to see them)`));
  }
  const settings = Object.entries(ctx.ruleSettings ?? {});
  if (settings.length > 0) lines.push(c.gray(`  rule settings: ${settings.map(([id, level]) => `${id}=${level}`).join(', ')}`));
  if (result.bailed) lines.push(c.gray('  stopped at the first error (--bail)'));
  return lines;
}
