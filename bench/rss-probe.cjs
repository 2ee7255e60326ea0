// Preloaded into benchmarked processes: on exit, writes peak RSS (KB) and CPU time (ms).
// CPU time is reported beside wall time because it is far less sensitive to a noisy machine.
const { writeFileSync } = require('node:fs');
const file = process.env.OPSMETER_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
