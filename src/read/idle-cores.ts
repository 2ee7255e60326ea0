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

/** Cores' worth of idle time over the next `ms` milliseconds. */
export async function sampleIdleCores(ms = SAMPLE_MS): Promise<number> {
  const before = coreTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return idleBetween(before, coreTimes());
}

/** Threads to start for a large file, given the idle cores measured: the plan's count, or 0 (stay on the main thread). */
export function threadsForIdle(planned: number, idleCores: number): number {
  return idleCores >= MIN_IDLE_CORES ? planned : 0;
}
