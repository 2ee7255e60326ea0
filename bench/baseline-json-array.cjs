// The bare baseline for JSON arrays: read the whole file, JSON.parse it, count the elements.
const { readFileSync } = require('node:fs');
const value = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let n = 0;
for (const item of value) if (item !== undefined) n++;
process.stderr.write(`${n} records\n`);
