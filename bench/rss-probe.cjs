// Preloaded into benchmarked processes: writes the process's peak RSS (KB) on exit.
const { writeFileSync } = require('node:fs');
const file = process.env.OPSMETER_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
