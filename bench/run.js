// npm run bench [-- validate|import|send ...]: runs the named benchmarks (all by default)
// and prints each as a ratio against a bare baseline measured in the same run.
// Benchmarks are never timed tests: they report, they do not fail the build.
import { fmt } from './lib.js';

const SUITES = {
  validate: () => import('./validate.js'),
  import: () => import('./import.js'),
  send: () => import('./send.js'),
  array: () => import('./json-array.js'),
};

const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = args.length > 0 ? args : Object.keys(SUITES);
const unknown = names.filter((n) => !(n in SUITES));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (choose from ${Object.keys(SUITES).join(', ')})`);
  process.exit(2);
}

console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores; figures are medians, ratios are opsmeter / bare baseline`);
for (const name of names) {
  const mod = await SUITES[name]();
  const results = [await mod.run()].flat();
  for (const r of results) {
    const verdict = r.ok === undefined ? '' : r.ok ? '  [target met]' : '  [target missed]';
    if (r.baselineMs === undefined) {
      // A memory run (lib.js memoryRun): an absolute bound, no baseline.
      console.log(`${r.name}: opsmeter ${fmt(r.opsmeterMs)}, CPU ${fmt(r.opsmeterCpuMs)}; peak RSS ${r.peakRssMb.toFixed(0)} MB (target ${r.target})${verdict}`);
      continue;
    }
    const cpu = r.cpuRatio !== undefined ? `; CPU ${fmt(r.baselineCpuMs)} vs ${fmt(r.opsmeterCpuMs)} = ${r.cpuRatio.toFixed(2)}×` : '';
    const rss = Number.isFinite(r.peakRssMb) ? `; peak RSS ${r.peakRssMb.toFixed(0)} MB` : '';
    // A peer tool measured in the same run (e.g. ajv-cli on the same file): opsmeter / peer.
    const peer = r.peer
      ? `; ${r.peer.name} ${fmt(r.peer.ms)} (CPU ${fmt(r.peer.cpuMs)}, peak RSS ${r.peer.peakRssMb.toFixed(0)} MB): opsmeter / ${r.peer.name} = ${(r.opsmeterMs / r.peer.ms).toFixed(2)}×, CPU ${(r.opsmeterCpuMs / r.peer.cpuMs).toFixed(2)}×`
      : '';
    const spread = r.ratioRange ? ` [runs: wall ${r.ratioRange.map((x) => x.toFixed(2)).join('–')}×, CPU ${r.cpuRatioRange.map((x) => x.toFixed(2)).join('–')}×]` : '';
    console.log(`${r.name}: ${r.baselineName ?? 'bare'} ${fmt(r.baselineMs)} vs opsmeter ${fmt(r.opsmeterMs)} = ${r.ratio.toFixed(2)}×${cpu}${rss}${spread}${peer} (target ${r.target})${verdict}`);
  }
}
