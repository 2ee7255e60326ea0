/**
 * `opsmeter reconcile`'s flags checked without I/O: which payload and report paths to read,
 * the tolerance, the day range, where each dimension is read from in a payload, the output.
 * Returns the plan or the usage error (exit 2); the action (reconcile.ts) runs the plan.
 */
import { DEFAULT_FIELDS, type Dimension, type FieldPaths } from '../reconcile/compare.js';
import { EXIT, OpsmeterError } from '../errors.js';
import { planOrError, type CommandLine, type PlanEnv } from './plan.js';

export interface ReconcileFlags {
  against?: string[];
  format: string;
  output?: string;
  tolerance: string;
  since?: string;
  until?: string;
  field?: string[];
  maxRows: number;
  catalog?: string;
}

export interface ReconcilePlan {
  /** Payload paths ("-": stdin). */
  payloads: string[];
  reports: string[];
  format: 'pretty' | 'json';
  output?: string;
  tolerancePct: number;
  range: { since?: string; until?: string };
  fields: FieldPaths;
  maxRows: number;
  catalog?: string;
}

/** The tolerance when none is given, in percent (docs/reconcile.md "Tolerance"). */
export const DEFAULT_TOLERANCE_PCT = 1;

const DIMENSION_FLAGS: Record<string, Dimension> = { project: 'project', 'api-key': 'apiKey', workspace: 'workspace' };

const usage = (message: string, hint?: string) => new OpsmeterError(message, EXIT.usage, hint);

function day(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  const t = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || new Date(t).toISOString().slice(0, 10) !== value) throw usage(`${flag} takes a UTC date YYYY-MM-DD, got "${value}"`);
  return value;
}

/** --tolerance PCT (reconcile's, and import's with --against). */
export function parseTolerance(value: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(value.trim());
  if (!m) throw usage(`--tolerance takes a percentage ≥ 0 (e.g. 1, 0.5 or 2%), got "${value}"`);
  return Number(m[1]);
}

function fields(specs: readonly string[] = []): FieldPaths {
  const out = { ...DEFAULT_FIELDS };
  for (const spec of specs) {
    const m = /^([a-z-]+)=(metadata\.[A-Za-z0-9_$-]+|[A-Za-z_][A-Za-z0-9_]*)$/.exec(spec);
    const dim = m ? DIMENSION_FLAGS[m[1]!] : undefined;
    if (!m || !dim) {
      throw usage(`--field takes DIMENSION=FIELD with DIMENSION one of project, api-key, workspace and FIELD a payload field or metadata.KEY, got "${spec}"`, 'e.g. --field project=tenantId or --field workspace=metadata.anthropicWorkspace');
    }
    out[dim] = m[2]!;
  }
  return out;
}

export function planReconcile(line: CommandLine<ReconcileFlags>, env: PlanEnv): ReconcilePlan | OpsmeterError {
  return planOrError(() => {
    const { flags } = line;
    const reports = flags.against ?? [];
    if (reports.length === 0) {
      throw usage(
        "no report to reconcile against: give the provider's usage or cost report pages with --against FILE…",
        'opsmeter reconcile payloads.jsonl --against usage-page-1.json usage-page-2.json (docs/reconcile.md shows how to fetch them)',
      );
    }
    let payloads = line.paths;
    if (payloads.length === 0) {
      if (!env.stdinPiped) {
        throw usage(
          'no payloads: give the payload files an import wrote, or pipe them on stdin',
          '--against takes every file after it: opsmeter reconcile payloads.jsonl --against usage.json (payload files first)',
        );
      }
      payloads = ['-'];
    }
    const since = day('--since', flags.since);
    const until = day('--until', flags.until);
    if (since !== undefined && until !== undefined && since > until) throw usage(`--since ${since} is after --until ${until}`);
    const plan: ReconcilePlan = {
      payloads,
      reports,
      format: flags.format === 'json' ? 'json' : 'pretty',
      tolerancePct: parseTolerance(flags.tolerance),
      range: { ...(since ? { since } : {}), ...(until ? { until } : {}) },
      fields: fields(flags.field),
      maxRows: flags.maxRows,
    };
    if (flags.output !== undefined) plan.output = flags.output;
    if (flags.catalog !== undefined) plan.catalog = flags.catalog;
    return plan;
  });
}
