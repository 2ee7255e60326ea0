/**
 * The import's progress line on a terminal (stderr, never in a pipe or a file): bytes read
 * of the inputs' total with a percentage, rows, rows per second, an ETA from the bytes read
 * so far, and the file it is in. Not with --send: the send session draws its own line, and
 * two would fight.
 */
import type { ImportProgress } from '../importers/apply.js';
import { bytes, duration, int } from '../importers/figures.js';
import { ProgressLine } from '../terminal.js';

/** The line's text. `total`: the inputs' size as stored (undefined for stdin: no percentage, no ETA). */
export function importProgressText(p: ImportProgress, secs: number, total: number | undefined): string {
  const rate = secs > 0 ? Math.round(p.rows / secs) : 0;
  let read = bytes(p.bytes);
  let eta = '';
  if (total !== undefined && total > 0) {
    const done = Math.min(p.bytes, total);
    read += ` of ${bytes(total)} (${Math.floor((100 * done) / total)}%)`;
    // The bytes still to read at the pace so far; none before anything was read.
    if (done > 0 && done < total && secs > 0) eta = ` · ETA ${duration(((total - done) * secs) / done)}`;
  }
  const file = p.files > 1 ? ` · file ${p.fileIndex + 1}/${p.files}` : '';
  return `  importing: ${read} · ${int(p.rows)} rows · ${int(rate)} rows/s${eta}${file}`;
}

/** The line, drawn at each progress report (the import reports a few times a second at most). */
export function importProgressLine(enabled: boolean, total: number | undefined) {
  const line = new ProgressLine(process.stderr, enabled);
  const started = Date.now();
  let last: ImportProgress | undefined;
  return {
    onProgress: enabled
      ? (p: ImportProgress) => {
          if (!last) line.start(() => importProgressText(last!, (Date.now() - started) / 1000, total), 1000);
          last = p;
          line.draw();
        }
      : undefined,
    clear: () => line.stop(),
  };
}
