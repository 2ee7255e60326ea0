// The bare baseline: readline + JSON.parse over a JSONL file, nothing else.
const { createReadStream } = require('node:fs');
const readline = require('node:readline');
(async () => {
  const rl = readline.createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    if (line.length > 0) {
      JSON.parse(line);
      n++;
    }
  }
  process.stderr.write(`${n} records\n`);
})();
