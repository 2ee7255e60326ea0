// The bare baseline plus the write an import does: readline + JSON.parse over a JSONL file,
// each line written back out to a new file (argv[3]) through a 4 MB write stream. It shows
// what this machine charges for writing a file of that size, apart from any converting.
const { createReadStream, createWriteStream } = require('node:fs');
const { once } = require('node:events');
const readline = require('node:readline');
(async () => {
  const rl = readline.createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity });
  const out = createWriteStream(process.argv[3], { highWaterMark: 4 * 1024 * 1024 });
  let n = 0;
  for await (const line of rl) {
    if (line.length > 0) {
      JSON.parse(line);
      if (!out.write(line + '\n')) await once(out, 'drain');
      n++;
    }
  }
  out.end();
  await once(out, 'finish');
  process.stderr.write(`${n} records\n`);
})();
