// node bench/otel-export.js OUT COPIES: a large OpenTelemetry Collector file export for measuring
// `import --from otel` (docs/import-formats.md `otel`, "Measured"). It repeats the three span
// documents of fixtures/import/otel/collector/traces.jsonl COPIES times, each copy under its own
// trace id and with its own response ids, so every model call is a distinct payload (9 spans and
// 6 payloads a copy: an agent with two nested calls, a tool, an HTTP span, four more calls).
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.js';

const [out, copiesArg] = process.argv.slice(2);
const copies = Number(copiesArg);
if (!out || !Number.isInteger(copies) || copies < 1) {
  console.error('usage: node bench/otel-export.js OUT COPIES');
  process.exit(2);
}

const fixture = readFileSync(join(ROOT, 'fixtures/import/otel/collector/traces.jsonl'), 'utf8');
// The first three lines are span documents (the fourth is a logs document, rejected).
const documents = fixture.trim().split('\n').slice(0, 3);

const fd = openSync(out, 'w');
let buf = '';
for (let i = 0; i < copies; i++) {
  const traceId = i.toString(16).padStart(32, '0');
  for (const line of documents) {
    const doc = JSON.parse(line);
    for (const resource of doc.resourceSpans) {
      for (const scope of resource.scopeSpans) {
        for (const span of scope.spans) {
          span.traceId = traceId;
          for (const attr of span.attributes) if (attr.key === 'gen_ai.response.id') attr.value.stringValue += `-${i}`;
        }
      }
    }
    buf += JSON.stringify(doc) + '\n';
  }
  if (buf.length > 1 << 20) {
    writeSync(fd, buf);
    buf = '';
  }
}
writeSync(fd, buf);
closeSync(fd);
