/** Run the import pipeline in-process over fixture files and collect what it writes. */
import { Writable } from 'node:stream';
import { builtinCatalog } from '../../src/contract/catalog.js';
import { adapterById } from '../../src/importers/adapters/index.js';
import { externalRequestId } from '../../src/importers/finish.js';
import { runImport } from '../../src/importers/run.js';
import { LineSink } from '../../src/importers/sink.js';
import { buildSummary } from '../../src/importers/import-summary.js';
import { isAbsolute, join } from 'node:path';
import { FIXTURES } from '../helpers/cli.js';

export const IMPORT_FIXTURES = join(FIXTURES, 'import');

function memorySink(name: string) {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { sink: new LineSink(stream, name), text: () => text };
}

export interface InProcessOptions {
  map?: Record<string, string>;
  hashSalt?: string;
  endpointTag?: string;
}

export async function importFixture(format: string, files: string[], o: InProcessOptions = {}) {
  const adapter = adapterById(format);
  if (!adapter) throw new Error(`no adapter ${format}`);
  const out = memorySink('out');
  const rej = memorySink('rejects');
  const catalog = builtinCatalog();
  const defaults = { dataMode: 'real' as const, environment: 'prod' as const, endpointTag: o.endpointTag };
  const tally = await runImport({
    adapter,
    sources: files.map((f) => ({ name: f, path: isAbsolute(f) ? f : join(IMPORT_FIXTURES, f) })),
    ctx: { map: o.map ?? {} },
    catalog,
    defaults,
    hashSalt: o.hashSalt,
    output: out.sink,
    rejects: rej.sink,
    now: Date.parse('2026-07-01T00:00:00Z'),
  });
  await out.sink.end();
  await rej.sink.end();
  const lines = (t: string) => t.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const summary = buildSummary(tally, {
    format: adapter.id,
    chosenBy: 'flag',
    catalog,
    defaults: { dataMode: 'real', environment: 'prod', endpointTag: o.endpointTag, promptVersion: undefined },
    userIdsHashed: o.hashSalt !== undefined,
    output: 'memory',
  });
  return { payloads: lines(out.text()), rejects: lines(rej.text()), summary, text: out.text() };
}

export const ext = externalRequestId;
