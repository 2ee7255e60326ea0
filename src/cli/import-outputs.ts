/**
 * Where an import's results go — payload JSONL (-o FILE, stdout, or the sender's queue with
 * --send), --rejects, --summary-json and --report — and how they end (src/result-file.ts):
 * - complete: every file takes its name at the end, the summary JSON and the report last;
 * - interrupted: the payload and rejects lines made so far, whole, stay as `<name>.partial`,
 *   and the summary JSON (marked interrupted) is written: it is complete for what was read;
 *   the report page is not (it would read as the whole import);
 * - failed: none of them stays, and the message says so.
 * Every file is opened before the import starts, so a folder that cannot be written stops the
 * run before any work.
 */
import type { ImportPlan } from './import-plan.js';
import type { PayloadQueue } from './import-send-queue.js';
import type { LineOutput, LineSink } from '../importers/sink.js';
import type { ResultFile } from '../result-file.js';

export class ImportOutputs {
  private constructor(
    /** Where payload lines are written: the send queue, the -o file, or stdout. */
    readonly payloads: LineOutput,
    readonly file: LineSink | undefined,
    readonly queue: PayloadQueue | undefined,
    readonly stdout: LineSink | undefined,
    readonly rejects: LineSink | undefined,
    private readonly summary: ResultFile | undefined,
    private readonly report: ResultFile | undefined,
  ) {}

  /** -o FILE or stdout; with --send the sender's queue (which copies to -o FILE). */
  static async open(plan: ImportPlan, sendQueue: number): Promise<ImportOutputs> {
    const [{ LineSink }, { PayloadQueue }, { ResultFile }] = await Promise.all([import('../importers/sink.js'), import('./import-send-queue.js'), import('../result-file.js')]);
    const opened: { discard(): void }[] = [];
    try {
      const file = plan.output !== undefined ? await LineSink.toFile(plan.output) : undefined;
      if (file) opened.push(file);
      const rejects = plan.rejects ? await LineSink.toFile(plan.rejects) : undefined;
      if (rejects) opened.push(rejects);
      const summary = plan.summaryJson ? await ResultFile.open(plan.summaryJson) : undefined;
      if (summary) opened.push(summary);
      const report = plan.report ? await ResultFile.open(plan.report) : undefined;
      if (report) opened.push(report);
      const queue = plan.send ? new PayloadQueue(sendQueue, file) : undefined;
      const stdout = queue || file ? undefined : LineSink.toStdout();
      return new ImportOutputs(queue ?? file ?? stdout!, file, queue, stdout, rejects, summary, report);
    } catch (e) {
      for (const o of opened) o.discard();
      throw e;
    }
  }

  /** The names the run writes, for messages. */
  get names(): string[] {
    return [this.file?.name, this.rejects?.name, this.summary?.path, this.report?.path].filter((n): n is string => n !== undefined);
  }

  /** Every line converted so far is flushed, whole (after the import, or its stop). */
  async end(): Promise<void> {
    await (this.file ?? this.stdout)?.end();
    await this.rejects?.end();
  }

  /** The import is complete: the summary JSON and the report page are written, and every file takes its name. */
  async commit(summaryJson: string | undefined, reportPage: string | undefined): Promise<void> {
    await writeWhole(this.summary, summaryJson);
    await writeWhole(this.report, reportPage);
    await this.file?.commit();
    await this.rejects?.commit();
    await this.summary?.commit();
    await this.report?.commit();
  }

  /**
   * The import was interrupted: the payload and rejects lines stay as `<name>.partial`; the
   * summary JSON (marked interrupted) takes its name. Returns what was kept, for the note.
   */
  async keepPartial(summaryJson: string | undefined): Promise<string[]> {
    await writeWhole(this.summary, summaryJson);
    this.report?.discard();
    const kept: string[] = [];
    for (const sink of [this.file, this.rejects]) {
      if (!sink) continue;
      const partial = await sink.keepPartial();
      if (partial) kept.push(`${sink.name} was not written: its whole lines so far are in ${partial}`);
    }
    await this.summary?.commit();
    if (this.report) kept.push(`${this.report.path} was not written: a report of some of the rows would read as the whole import`);
    return kept;
  }

  /** The import failed: no result file stays. */
  discard(): void {
    this.file?.discard();
    this.rejects?.discard();
    this.summary?.discard();
    this.report?.discard();
  }
}

/** A result file's whole text, written at the end of the run. */
async function writeWhole(file: ResultFile | undefined, text: string | undefined): Promise<void> {
  if (!file || text === undefined) return;
  const stream = file.stream;
  await new Promise<void>((resolve) => stream.end(text, () => resolve()));
}
