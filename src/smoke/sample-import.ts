/**
 * The smoke's import check: a bundled Anthropic batch results file (succeeded, errored,
 * canceled, expired rows) run through the real import pipeline in memory, with the
 * outcome the fixture is known to produce.
 */
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Catalog } from '../contract/catalog.js';
import type { Payload } from '../contract/fields.js';
import { adapterById } from '../importers/adapters/index.js';
import { runImport } from '../importers/run.js';
import { LineSink } from '../importers/sink.js';

export const SMOKE_IMPORT_SAMPLE = {
  format: 'anthropic-batch',
  file: join('fixtures', 'import', 'anthropic-batch', 'msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d_results.jsonl'),
  /** What the fixture holds: 9 measured rows, 6 without usage (failed, canceled, expired, missing). */
  expect: { complete: 9, partial: 6, rejected: 0 },
} as const;

export interface SampleImport {
  read: number;
  complete: number;
  partial: number;
  skipped: number;
  rejected: number;
  partialReasons: Record<string, number>;
  payloads: Payload[];
}

export async function runSampleImport(root: string, catalog: Catalog): Promise<SampleImport> {
  const adapter = adapterById(SMOKE_IMPORT_SAMPLE.format)!;
  const path = join(root, SMOKE_IMPORT_SAMPLE.file);
  let text = '';
  const memory = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const output = new LineSink(memory, 'memory', false);
  const tally = await runImport({
    adapter,
    sources: [{ name: path, path, format: 'jsonl' }],
    ctx: { map: {} },
    catalog,
    defaults: { dataMode: 'test', environment: 'staging' },
    output,
  });
  await output.end();
  return {
    read: tally.read,
    complete: tally.complete,
    partial: tally.partialTotal,
    skipped: tally.skippedTotal,
    rejected: tally.rejectedTotal,
    partialReasons: Object.fromEntries(tally.partial),
    payloads: text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Payload),
  };
}
