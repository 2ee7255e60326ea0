/**
 * What an app sent, summed up from the request log (docs/emulate.md, "Testing your app"):
 * requests by outcome, payloads by rule, the worst requests, and every finding as a problem
 * of the one problem model (src/problem.ts), located by its request (number, time, path), its
 * JSON pointer and its line and column in the body, so validate's renderers (src/report/)
 * write the report in any of their formats.
 *
 * Memory stays bounded as in validate: counts are exact, the problems past the first ones
 * held in memory go to a temp file (validate/problem-store.ts), a few worst requests are
 * kept, and one small summary per request that had findings (the report's `files`).
 */
import type { Severity } from '../contract/rules.js';
import type { Problem } from '../problem.js';
import type { Paint } from '../terminal.js';
import { DEFAULT_PROBLEMS_IN_MEMORY, ProblemList, ProblemStore, type KeptLists } from '../validate/problem-store.js';
import type { FileSummary, ValidateOutcome } from '../validate/validate.js';
import { printable } from './printable.js';
import type { RequestRecord } from './request-log.js';
import type { ReplyKind } from './state.js';

/** Worst requests shown in the summary. */
const WORST_SHOWN = 5;
/** Findings shown per worst request. */
const FINDINGS_SHOWN = 4;

export interface RuleTally {
  rule: string;
  severity: Severity;
  count: number;
  /** The first request it was found in. */
  firstRequest: number;
  firstPointer: string;
}

/** The label a request's problems carry as their "file": its number, method, path and arrival. */
export const requestLabel = (r: Pick<RequestRecord, 'number' | 'method' | 'path' | 'time'>) =>
  `request ${r.number} (${printable(r.method)} ${printable(r.path)}, ${r.time})`;

/** The run's validate-style result: validate's renderers take it as they take validate's. */
export interface ReportOutcome extends ValidateOutcome {
  problems: ProblemList;
  close(): void;
}

export class RequestReport {
  /** Every request the app sent, by outcome. */
  readonly outcomes = new Map<ReplyKind, number>();
  requests = 0;
  conflicts = 0;
  /** Requests whose body was read and linted. */
  payloads = 0;
  payloadsWithErrors = 0;
  payloadsWithWarnings = 0;
  errors = 0;
  warnings = 0;
  private readonly rules = new Map<string, RuleTally>();
  private readonly files: FileSummary[] = [];
  private worstKept: { record: RequestRecord; errors: number; warnings: number }[] = [];
  private readonly lists: KeptLists;
  /** Whether findings are kept as problems (a report file lists them); the summary needs only counts. */
  private readonly listsProblems: boolean;

  /**
   * `listProblems: false` when no report file will list them: counting costs a fraction of
   * keeping a problem per finding (and writing most of them to a temp file).
   */
  constructor({ listProblems = true, problemsInMemory = DEFAULT_PROBLEMS_IN_MEMORY }: { listProblems?: boolean; problemsInMemory?: number } = {}) {
    this.listsProblems = listProblems;
    const store = (purpose: string) => new ProblemStore(problemsInMemory, purpose);
    this.lists = {
      errors: store('emulate-errors'),
      lateErrors: store('emulate-late-errors'),
      warnings: store('emulate-warnings'),
      lateWarnings: store('emulate-late-warnings'),
    };
  }

  /** Count one request (the emulator's onRequest). */
  add(r: RequestRecord): void {
    this.requests++;
    this.outcomes.set(r.outcome, (this.outcomes.get(r.outcome) ?? 0) + 1);
    if (r.conflict) this.conflicts++;
    if (r.findings === undefined) return;
    this.payloads++;
    let errors = 0;
    let warnings = 0;
    const file = this.listsProblems ? requestLabel(r) : '';
    r.findings.forEach((f, seq) => {
      if (f.severity === 'error') errors++;
      else warnings++;
      const tally = this.rules.get(f.rule);
      if (tally) tally.count++;
      else this.rules.set(f.rule, { rule: f.rule, severity: f.severity, count: 1, firstRequest: r.number, firstPointer: f.pointer });
      if (!this.listsProblems) return;
      const p: Problem = {
        file,
        line: f.line,
        column: f.column,
        pointer: printable(f.pointer),
        rule: f.rule,
        severity: f.severity,
        message: printable(f.message),
        ...(f.hint ? { hint: printable(f.hint) } : {}),
        request: {
          number: r.number,
          time: r.time,
          method: r.method,
          path: r.path,
          ...(r.externalRequestId !== undefined ? { externalRequestId: r.externalRequestId } : {}),
        },
      };
      (f.severity === 'error' ? this.lists.errors : this.lists.warnings).push({ p, order: r.number, seq });
    });
    this.errors += errors;
    this.warnings += warnings;
    if (errors > 0) this.payloadsWithErrors++;
    else if (warnings > 0) this.payloadsWithWarnings++;
    if (errors + warnings === 0) return;
    if (this.listsProblems) this.files.push({ file, format: 'json', records: 1, blankLines: 0, errors, warnings });
    this.keepIfWorst(r, errors, warnings);
  }

  /** Keep the WORST_SHOWN requests with the most errors, then warnings (the earliest first among equals). */
  private keepIfWorst(record: RequestRecord, errors: number, warnings: number): void {
    const worse = (a: { errors: number; warnings: number; record: RequestRecord }, b: typeof a) =>
      b.errors - a.errors || b.warnings - a.warnings || a.record.number - b.record.number;
    const entry = { record, errors, warnings };
    const last = this.worstKept[this.worstKept.length - 1];
    if (this.worstKept.length >= WORST_SHOWN && last && worse(entry, last) >= 0) return;
    this.worstKept.push(entry);
    this.worstKept.sort(worse);
    if (this.worstKept.length > WORST_SHOWN) this.worstKept.length = WORST_SHOWN;
  }

  /** Rules by how often they were found, errors first. */
  byRule(): RuleTally[] {
    return [...this.rules.values()].sort(
      (a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) || b.count - a.count || a.rule.localeCompare(b.rule),
    );
  }

  get worst(): readonly RequestRecord[] {
    return this.worstKept.map((w) => w.record);
  }

  /**
   * The result validate's renderers take: one "file" per request with findings, every finding
   * a problem (errors first when `maxProblems` caps the list). It can be taken again (another
   * cap, another format) until one of them is closed: `close()` removes the temp files.
   */
  outcome(maxProblems = Infinity): ReportOutcome {
    const problems = new ProblemList(this.lists, maxProblems);
    const byRule: Record<string, number> = {};
    for (const t of this.byRule()) byRule[t.rule] = t.count;
    const kept = problems.length;
    const total = this.errors + this.warnings;
    return {
      files: this.files,
      problems,
      counts: { files: this.requests, records: this.payloads, errors: this.errors, warnings: this.warnings },
      // Not listing at all (no report file) is not leaving problems out.
      omitted: this.listsProblems ? total - kept : 0,
      omittedErrors: this.listsProblems ? this.errors - problems.errorsShown : 0,
      quietWarnings: 0,
      warningsSkipped: false,
      bailed: false,
      byRule,
      close: () => problems.close(),
    };
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** Outcomes in the order a reader wants them: what got in, what was refused, what the faults did. */
const OUTCOME_ORDER: readonly ReplyKind[] = [
  'accepted',
  'duplicate',
  'rejected',
  'unauthorized',
  'paused',
  'blocked',
  'throttled',
  'failed',
  'aborted',
  'served',
  'deleted',
];

/** Why a request the app sent was refused without its payload being judged, and what to check. */
const NOT_JUDGED_HINTS: Partial<Record<ReplyKind, string>> = {
  unauthorized: 'check that the app sends X-API-Key: $OPSMETER_API_KEY',
};

/**
 * The summary for people (stderr): requests by outcome, payloads by result, the rules found
 * (with the first request each was found in) and the worst requests with their findings.
 * Text from the app (ids, paths, messages) is escaped (printable.ts).
 */
export function summaryText(report: RequestReport, c: Paint): string[] {
  const lines: string[] = [];
  if (report.requests === 0) {
    lines.push(c.yellow('  no requests reached the emulator: is the app pointed at $OPSMETER_API_BASE_URL?'));
    return lines;
  }
  const outcomes = OUTCOME_ORDER.filter((o) => report.outcomes.has(o)).map((o) => {
    const n = report.outcomes.get(o)!;
    return o === 'duplicate' && report.conflicts > 0 ? `${n} duplicate (${plural(report.conflicts, 'conflict')})` : `${n} ${o}`;
  });
  lines.push(`  requests: ${outcomes.join(' · ')}`);
  for (const [outcome, hint] of Object.entries(NOT_JUDGED_HINTS)) {
    const n = report.outcomes.get(outcome as ReplyKind);
    if (n) lines.push(c.yellow(`    ${plural(n, 'request')} ${outcome}: ${hint}`));
  }
  const clean = report.payloads - report.payloadsWithErrors - report.payloadsWithWarnings;
  lines.push(
    `  payloads: ${report.payloads} checked: ${report.payloadsWithErrors} with errors, ${report.payloadsWithWarnings} with warnings only, ${clean} clean`,
  );
  const rules = report.byRule();
  if (rules.length > 0) {
    lines.push('  by rule:');
    const width = Math.max(...rules.map((t) => t.rule.length));
    for (const t of rules) {
      const sev = t.severity === 'error' ? c.red('error  ') : c.yellow('warning');
      lines.push(
        `    ${sev}  ${t.rule.padEnd(width)}  ${String(t.count).padStart(5)}  ${c.gray(`first: request ${t.firstRequest}${t.firstPointer ? ` at ${printable(t.firstPointer)}` : ''}`)}`,
      );
    }
  }
  const worst = report.worst;
  if (worst.length > 0) {
    lines.push(`  worst ${worst.length === 1 ? 'request' : `${worst.length} requests`}:`);
    for (const r of worst) {
      const id = r.externalRequestId !== undefined ? ` ${printable(r.externalRequestId)}` : '';
      lines.push(
        `    ${c.bold(`request ${r.number}`)} ${printable(r.method)} ${printable(r.path)} ${r.status || '-'} ${r.outcome}${r.conflict ? ' (conflict)' : ''}${id} ${c.gray(r.time)}`,
      );
      const findings = [...(r.findings ?? [])].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
      for (const f of findings.slice(0, FINDINGS_SHOWN)) {
        const sev = f.severity === 'error' ? c.red('error  ') : c.yellow('warning');
        lines.push(`      ${sev}  ${f.pointer ? `${printable(f.pointer)}: ` : ''}${printable(f.message)}  ${c.gray(f.rule)}`);
      }
      if (findings.length > FINDINGS_SHOWN) lines.push(c.gray(`      … and ${plural(findings.length - FINDINGS_SHOWN, 'more finding')}`));
    }
  }
  return lines;
}
