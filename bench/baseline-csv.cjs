// The bare baseline for CSV imports: a csv-parse loop over the file (header → objects), nothing else.
const { createReadStream } = require('node:fs');
(async () => {
  const { parse } = await import('csv-parse');
  const parser = createReadStream(process.argv[2]).pipe(parse({ columns: true, bom: true }));
  let n = 0;
  for await (const record of parser) if (record) n++;
  process.stderr.write(`${n} records\n`);
})();
