#!/usr/bin/env node
// Regenerates the gzip fixtures from their committed plain-text sources, so the .gz files
// can be reviewed and changed as text. Run: node scripts/make-fixtures.mjs
// (gzip header mtime is 0, so the output only depends on the source and zlib.)
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const GZIPPED = [
  {
    source: 'scripts/fixture-src/bedrock-20250912T1400Z.jsonl',
    target:
      'fixtures/import/bedrock/AWSLogs/111122223333/BedrockModelInvocationLogs/us-east-1/2025/09/12/14/20250912T140000Z_7f3e9c1ab2d4e5f6.json.gz',
  },
];

for (const { source, target } of GZIPPED) {
  const out = join(root, target);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, gzipSync(readFileSync(join(root, source)), { level: 9 }));
  console.log(`${source} → ${target}`);
}
