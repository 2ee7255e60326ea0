/**
 * Whether worker threads would help right now (docs/validate.md and docs/import.md, "Worker
 * threads"). Two threads beside the main thread pay for themselves only when cores are free
 * to run them: on a machine whose cores are busy with other work, the threads compete with
 * it and with each other, their hand-offs wait for a time slice, and the run is slower than
 * on one thread (measured: validate 2.5× the bare loop against 1.4× with threads off at a
 * load of 5–26 on 2 cores).
 *
 * So the decision is taken from what the cores are doing when a large file is met: the idle
 * time of every core over a short window (`os.cpus()`, cross-platform), not the load average,
 * which trails by a minute. It is taken once per run, and only for a file large enough for
 * threads, so a small run never pays for the sample.
 */
import { cpus } from 'node:os';

/** How long the cores are watched: long enough to average out one scheduler tick, short next to a file of 8 MB or more. */
export const SAMPLE_MS = 100;

/**
 * Threads start when at least this many cores' worth of time was idle in the sample: the
 * main thread needs one core, so the threads gain only from the idle time beyond it.
 */
export const MIN_IDLE_CORES = 1.25;

interface CoreTimes {
  idle: number;
  total: number;
}

function coreTimes(): CoreTimes[] {
  return cpus().map(({ times }) => ({ idle: times.idle, total: times.user + times.nice + times.sys + times.idle + times.irq }));
}

/** Idle cores (a fraction of each core, summed) between two readings of the cores' times. */
export function idleBetween(before: readonly CoreTimes[], after: readonly CoreTimes[]): number {
  let idle = 0;
  for (let i = 0; i < Math.min(before.length, after.length); i++) {
    const total = after[i]!.total - before[i]!.total;
    // A core that reported nothing (offline, or a counter that did not move) counts as busy.
    if (total > 0) idle += Math.max(0, Math.min(1, (after[i]!.idle - before[i]!.idle) / total));
  }
  return idle;
}

/** Idle cores between two readings, this process's own `ownMs` of CPU time over the `elapsedMs` between them counted as idle. */
export function idleBesideOwn(before: readonly CoreTimes[], after: readonly CoreTimes[], ownMs: number, elapsedMs: number): number {
  return idleBetween(before, after) + (elapsedMs > 0 ? ownMs / elapsedMs : 0);
}

/** A reading of the cores' times, and of this process's own CPU time, when its command started. */
interface Reading {
  at: number;
  cores: CoreTimes[];
  self: NodeJS.CpuUsage;
}

/** Taken by watchCores(); a sample within this long after it spans the command's start-up instead of waiting. */
const EARLY_READING_MS = 1000;
let early: Reading | undefined;

/**
 * Starts watching the cores now, as a command that may meet a large file starts (src/cli/main.ts):
 * the sample then spans the command's own start-up (loading its modules, opening its inputs)
 * instead of waiting 100 ms after it. The process's own CPU time over the window is counted as
 * idle, since it is the run's own main thread: what counts is the time other work leaves.
 */
export function watchCores(): void {
  early = { at: performance.now(), cores: coreTimes(), self: process.cpuUsage() };
}

/** Cores' worth of idle time over the next `ms` milliseconds, or since watchCores() when that was lately (then waiting only for the rest of `ms`). */
export async function sampleIdleCores(ms = SAMPLE_MS): Promise<number> {
  const from = early;
  early = undefined;
  if (from !== undefined && performance.now() - from.at < EARLY_READING_MS) {
    const rest = ms - (performance.now() - from.at);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    const own = process.cpuUsage(from.self);
    return idleBesideOwn(from.cores, coreTimes(), (own.user + own.system) / 1000, performance.now() - from.at);
  }
  const before = coreTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return idleBetween(before, coreTimes());
}

/** Threads to start for a large file, given the idle cores measured: the plan's count, or 0 (stay on the main thread). */
export function threadsForIdle(planned: number, idleCores: number): number {
  return idleCores >= MIN_IDLE_CORES ? planned : 0;
}

/** Worker threads for a run's large files, as the command plans them (OPSMETER_IMPORT_WORKERS, OPSMETER_VALIDATE_WORKERS in src/cli/). */
export interface ThreadPlan {
  threads: number;
  /** Files (decompressed) from this size on go to the threads. */
  minBytes: number;
  /**
   * Start them only if the cores are idle when the run meets its first large file (the
   * default plan). A count set by hand (OPSMETER_IMPORT_WORKERS=2) always starts them.
   */
  whenIdle?: boolean;
  /** The idle cores to decide by instead of a sample (OPSMETER_IDLE_CORES: tests and measurements). */
  idleCores?: number;
}

/** One decision per plan object, so a run (one plan, several files or formats) samples once. */
const decisions = new WeakMap<ThreadPlan, Promise<number>>();

/** Threads for a large file of the run that holds `plan`: its count, or 0 when the cores were busy at the run's first large file. */
export function threadsFor(plan: ThreadPlan, sample: () => Promise<number> = sampleIdleCores): Promise<number> {
  if (!plan.whenIdle) return Promise.resolve(plan.threads);
  let decided = decisions.get(plan);
  if (decided === undefined) {
    decided = (plan.idleCores !== undefined ? Promise.resolve(plan.idleCores) : sample()).then((idle) => threadsForIdle(plan.threads, idle));
    decisions.set(plan, decided);
  }
  return decided;
}
