/**
 * The validate core: reads every source, lints every record, and produces problems in
 * the one problem model (src/problem.ts). No output formatting and no exit codes here —
 * the CLI picks a renderer (src/report/) and derives the exit code from the result.
 */
import { EXIT, OpsmeterError } from '../errors.js';
import { stat } from 'node:fs/promises';
import type { Catalog } from '../contract/catalog.js';
import { lintPayload, type Finding, type LintContext } from '../contract/lint.js';
import type { RulePolicy } from '../contract/rule-settings.js';
import { RULES, type RuleInfo } from '../contract/rules.js';
import type { Problem } from '../problem.js';
import { STOP } from '../read/lines.js';
import { loadLocator, locatorReady, type Position } from '../read/locate.js';
import { SourceError, readRecords, type FaultInfo, type ReadFault, type Source, type SourceFormat } from '../read/records.js';
import { DuplicateIndex, contentFingerprint } from './duplicates.js';

export interface ValidateOptions {
  catalog: Catalog;
  /** Epoch ms for createdAt checks. */
  now?: number;
  /** Stop at the first error. */
  bail?: boolean;
  /**
   * How many problems to keep for printing (counts stay exact). Errors are kept first:
   * warnings fill only the room the errors leave, so a cap never hides an error behind
   * warnings that came earlier in the files.
   */
  maxProblems?: number;
  /**
   * List errors only (--quiet). As in ESLint 9, warnings are then not checked at all unless
   * `countQuietWarnings` says a warning threshold needs their count (quietCountsWarnings).
   */
  quiet?: boolean;
  /** With quiet: still check and count warnings, without listing them. */
  countQuietWarnings?: boolean;
  /**
   * Keep each problem's source line (`excerpt`, for pretty's code frame). Default true;
   * machine formats pass false: with every problem kept, the lines would dominate memory.
   */
  excerpts?: boolean;
  /** Severity settings (opsmeter.config.json, --rule). */
  rules?: RulePolicy;
}

export interface FileSummary {
  file: string;
  format: SourceFormat | 'unreadable';
  records: number;
  blankLines: number;
  errors: number;
  warnings: number;
}

export interface Counts {
  files: number;
  records: number;
  errors: number;
  warnings: number;
}

export interface ValidateResult {
  files: FileSummary[];
  /** The problems kept for printing (errors first, up to `maxProblems`), in file and line order. */
  problems: Problem[];
  counts: Counts;
  /** Problems found but not kept because of maxProblems (warnings hidden by --quiet not included). */
  omitted: number;
  /** Of `omitted`, how many are errors (0 unless there are more errors than maxProblems). */
  omittedErrors: number;
  /** Warnings counted but not listed because of --quiet. */
  quietWarnings: number;
  /** True when --quiet skipped the warning checks (no threshold needed their count): `counts.warnings` is 0. */
  warningsSkipped: boolean;
  /** True when --bail stopped the run early. */
  bailed: boolean;
  /** Problem counts per rule id (exact, including omitted ones). */
  byRule: Record<string, number>;
}

const FAULT_RULE: Record<ReadFault, RuleInfo> = {
  syntax: RULES.jsonSyntax,
  'duplicate-key': RULES.jsonDuplicateKey,
  'line-too-long': RULES.jsonLineTooLong,
  encoding: RULES.jsonEncoding,
};

/** A file that cannot be read at all (exit 2). */
class SourceReadError extends OpsmeterError {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message, EXIT.usage);
  }
}

export async function validateSources(sources: readonly Source[], opts: ValidateOptions): Promise<ValidateResult> {
  const ctx: LintContext = { catalog: opts.catalog, now: opts.now ?? Date.now() };
  const policy = opts.rules !== undefined && !opts.rules.isDefault ? opts.rules : undefined;
  if (policy) ctx.rules = policy;
  const maxProblems = opts.maxProblems ?? Infinity;
  const quiet = opts.quiet === true;
  // Errors only, as ESLint 9's --quiet: warning rules do not run, nothing counts them.
  const skipWarnings = quiet && opts.countQuietWarnings !== true;
  if (skipWarnings) ctx.errorsOnly = true;
  // Kept for printing, each list in the order found; merged by `seq` at the end.
  const keptErrors: Problem[] = [];
  const keptWarnings: Problem[] = [];
  const seqOf = new Map<Problem, number>();
  let seq = 0;
  /** Whether one more problem of this severity could still be printed. */
  const wouldKeep = (severity: RuleInfo['severity']) =>
    severity === 'error' ? keptErrors.length < maxProblems : !quiet && keptWarnings.length < maxProblems - keptErrors.length;
  const counts: Counts = { files: 0, records: 0, errors: 0, warnings: 0 };
  const byRule: Record<string, number> = {};
  const files: FileSummary[] = [];
  const dupes = new DuplicateIndex(await expectedRecords(sources));
  let bailed = false;

  for (let fileIndex = 0; fileIndex < sources.length && !bailed; fileIndex++) {
    const source = sources[fileIndex]!;
    const summary: FileSummary = { file: source.name, format: 'unreadable', records: 0, blankLines: 0, errors: 0, warnings: 0 };
    files.push(summary);
    counts.files++;

    /**
     * Count a problem, and keep it for printing while under maxProblems. The position is
     * computed lazily: locating re-parses the record, which is wasted work once the cap
     * is reached. Returns STOP when --bail should end the run.
     */
    const report = (configured: RuleInfo, where: () => Position, pointer: string, message: string, hint?: string): typeof STOP | undefined => {
      // Lint's findings arrive with the settings applied; validate's own (empty file,
      // duplicate ids) get them here. Applying them twice changes nothing.
      const rule = policy ? policy.effective(configured) : configured;
      if (rule === null || (skipWarnings && rule.severity !== 'error')) return undefined;
      byRule[rule.id] = (byRule[rule.id] ?? 0) + 1;
      if (rule.severity === 'error') {
        counts.errors++;
        summary.errors++;
      } else {
        counts.warnings++;
        summary.warnings++;
      }
      if (wouldKeep(rule.severity)) {
        const pos = where();
        const p: Problem = { file: source.name, line: pos.line, column: pos.column, pointer, rule: rule.id, severity: rule.severity, message };
        // Every problem says what to do: the finding's own hint, else the rule's.
        p.hint = hint ?? rule.hint;
        if (pos.text !== undefined && opts.excerpts !== false) {
          p.excerpt = pos.text;
          if (pos.textColumn !== undefined) p.excerptColumn = pos.textColumn;
        }
        seqOf.set(p, seq++);
        (rule.severity === 'error' ? keptErrors : keptWarnings).push(p);
      }
      if (opts.bail && rule.severity === 'error') {
        bailed = true;
        return STOP;
      }
      return undefined;
    };

    const onFault = (f: FaultInfo) => report(FAULT_RULE[f.fault], () => ({ line: f.line, column: f.column, text: f.text, textColumn: f.textColumn }), f.pointer, f.message);

    let stats;
    try {
      stats = await readRecords(source, {
        fault: onFault,
        record: (r) => {
          counts.records++;
          const findings: Finding[] = lintPayload(r.value, ctx);
          const id = (r.value as { externalRequestId?: unknown } | null)?.externalRequestId;
          if (typeof id === 'string' && id !== '') {
            // A fingerprint of the parsed fields, not the raw text: the same payload formatted
            // differently (a .json file and a JSONL line, other key order) is the same content.
            const content = contentFingerprint(r.value);
            const first = dupes.add(id, content, fileIndex, r.line);
            if (first && !first.sameContent) {
              const where = first.fileIndex === fileIndex ? `line ${first.line}` : `${sources[first.fileIndex]!.name}:${first.line}`;
              findings.push({
                rule: RULES.duplicateExternalRequestId,
                pointer: '/externalRequestId',
                message: `externalRequestId "${id}" was already used at ${where} with different content; the server counts only one`,
                hint: 'give each LLM call its own id; reuse an id only for a retry of the same call',
                target: 'value',
              });
            }
          }
          if (findings.length === 0) return undefined;
          const emit = (): typeof STOP | undefined => {
            for (const f of findings) {
              if (report(f.rule, () => r.locate(f.pointer, f.target), r.pointer + f.pointer, f.message, f.hint) === STOP) return STOP;
            }
            return undefined;
          };
          // Positions need the (lazily loaded) locator, but only while problems are still printed.
          return locatorReady() || !(wouldKeep('error') || wouldKeep('warning')) ? emit() : loadLocator().then(emit);
        },
      });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // Only IO failures are the user's to fix; anything else is a bug and must not pass as one.
      if (typeof err?.code !== 'string' && !(e instanceof SourceError)) throw e;
      const why =
        err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
      throw new SourceReadError(source.name, `${source.name}: cannot read: ${why}`);
    }
    summary.format = stats.format;
    summary.records = stats.records;
    summary.blankLines = stats.blankLines;
    if (stats.records === 0 && summary.errors === 0 && !bailed) {
      const what = stats.lines === 0 ? 'the file is empty' : stats.format === 'json' && stats.blankLines === 0 ? 'the array is empty' : 'the file holds only blank lines';
      report(RULES.fileEmpty, () => ({ line: 1, column: 1 }), '', `no payloads: ${what}`);
    }
  }
  const warningsShown = keptWarnings.slice(0, Math.max(0, maxProblems - keptErrors.length));
  const problems = mergeBySeq(keptErrors, warningsShown, seqOf);
  const quietWarnings = quiet ? counts.warnings : 0;
  const omittedErrors = counts.errors - keptErrors.length;
  const omitted = counts.errors + counts.warnings - quietWarnings - problems.length;
  return { files, problems, counts, omitted, omittedErrors, quietWarnings, warningsSkipped: skipWarnings, bailed, byRule };
}

/** Two lists, each in the order found, merged back into that order. */
function mergeBySeq(a: Problem[], b: Problem[], seqOf: Map<Problem, number>): Problem[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const out: Problem[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(seqOf.get(a[i]!)! < seqOf.get(b[j]!)! ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

export interface ExitPolicy {
  /** Warnings fail the run (--strict). */
  strict: boolean;
  /** More warnings than this fail the run (--max-warnings, maxWarnings in the config). */
  maxWarnings?: number;
}

/**
 * Whether --quiet must still check warnings: only when a threshold needs their count
 * (--max-warnings or the config's maxWarnings, and --strict, which is a threshold of 0), as
 * ESLint 9 runs warn rules under --quiet only alongside --max-warnings.
 */
export function quietCountsWarnings(policy: ExitPolicy): boolean {
  return policy.strict || policy.maxWarnings !== undefined;
}

/** Exit code of `validate`: a pure function of the result. */
export function validateExitCode(result: ValidateResult, policy: ExitPolicy): typeof EXIT.ok | typeof EXIT.failed {
  if (result.counts.errors > 0) return EXIT.failed;
  if (policy.strict && result.counts.warnings > 0) return EXIT.failed;
  if (policy.maxWarnings !== undefined && result.counts.warnings > policy.maxWarnings) return EXIT.failed;
  return EXIT.ok;
}

/**
 * A rough estimate of the records to expect (a realistic payload line is ~250-400 bytes),
 * so the duplicate table is sized once instead of growing through a million inserts.
 */
async function expectedRecords(sources: readonly Source[]): Promise<number> {
  let bytes = 0;
  for (const s of sources) {
    if (s.path === '-') continue;
    try {
      bytes += (await stat(s.path)).size;
    } catch {
      /* unreadable: reported when it is read */
    }
  }
  return Math.ceil(bytes / 256);
}
