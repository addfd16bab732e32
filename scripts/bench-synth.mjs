// Benchmarks the main synth: builds once (esbuild), then runs `node -r ./dist/compile-cache.js dist/synth.js` as
// `npm run synth` does (every environment's templates with cdk-nag + every manifest) N times and prints the median
// wall time and peak memory (max RSS of the child, measured by GNU time, which covers node and anything it spawns).
//
//   node scripts/bench-synth.mjs [--runs 5] [--entry dist/synth.js] [--config multi-account] [--scale]
//
// --scale: the shipped configuration and the ten-workloads benchmark configuration (config/examples/ten-workloads.ts:
// ten workloads in every environment and portable target instead of three), runs interleaved so load affects both
// alike; prints both medians and their ratio as one machine-readable `bench-synth-scale: {…}` line.
//
// Falls back to dist/infra.js (CloudFormation only) when dist/synth.js could not be built.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const runs = Number(option('runs', '5'));
if (!Number.isInteger(runs) || runs < 1) throw new Error(`bench: --runs must be a positive integer, got ${JSON.stringify(option('runs'))}`);
let entry = option('entry', 'dist/synth.js');
// Another configuration of config/configurations.ts (npm run synth -- --config <name>); the default without it.
const config = option('config', undefined);

try {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
} catch {
  console.error('bench: build failed for some entry points; benchmarking what was built');
}
if (!existsSync(entry)) {
  console.error(`bench: ${entry} is missing; falling back to dist/infra.js (CloudFormation + cdk-nag only)`);
  entry = 'dist/infra.js';
}
if (!existsSync('/usr/bin/time')) throw new Error('bench: /usr/bin/time (GNU time) is required to measure peak memory');

/** One synth run of `entry` for a configuration (undefined: the default): wall time, CPU time, peak RSS. */
function runOnce(configName, statsFile, label) {
  const started = process.hrtime.bigint();
  const child = spawnSync('/usr/bin/time', ['-v', '-o', statsFile, process.execPath, '-r', './dist/compile-cache.js', entry, ...(configName ? ['--config', configName] : [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    throw new Error(`bench: ${entry} exited with ${child.status} (${label})`);
  }
  const text = readFileSync(statsFile, 'utf8');
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)[1]);
  const cpuS = Number(/User time \(seconds\): ([\d.]+)/.exec(text)[1]) + Number(/System time \(seconds\): ([\d.]+)/.exec(text)[1]);
  console.error(`${label}: ${wallMs.toFixed(0)} ms wall, ${cpuS.toFixed(2)} s CPU, ${(rssKb / 1024).toFixed(0)} MB peak RSS`);
  return { wallMs, rssMb: rssKb / 1024, cpuS };
}

const stats = mkdtempSync(join(tmpdir(), 'bench-synth-'));
const scale = args.includes('--scale');
const results = [];
const scaled = [];
for (let i = 0; i < runs; i++) {
  results.push(runOnce(config, join(stats, `run-${i}.txt`), `run ${i + 1}/${runs}${config ? ` (${config})` : ''}`));
  if (scale) scaled.push(runOnce('ten-workloads', join(stats, `scaled-${i}.txt`), `run ${i + 1}/${runs} (ten-workloads)`));
}
rmSync(stats, { recursive: true, force: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const wall = median(results.map((r) => r.wallMs));
const rss = Math.max(...results.map((r) => r.rssMb));
let load = '';
try {
  load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
} catch {
  // No /proc (not Linux): the line goes without the load.
}
console.log(
  `synth (${entry}${config ? ` --config ${config}` : ''}), ${runs} runs on ${cpus().length} CPUs${load ? ` (load ${load})` : ''}: median ${(wall / 1000).toFixed(2)} s wall, ` +
    `median ${median(results.map((r) => r.cpuS)).toFixed(2)} s CPU, peak ${rss.toFixed(0)} MB RSS (target: <= 2.5 s, <= 300 MB)`,
);

if (scale) {
  const summary = (rs) => ({
    wallMs: Math.round(median(rs.map((r) => r.wallMs))),
    cpuS: Number(median(rs.map((r) => r.cpuS)).toFixed(2)),
    peakRssMb: Math.round(Math.max(...rs.map((r) => r.rssMb))),
  });
  const shipped = summary(results);
  const tenWorkloads = summary(scaled);
  const ratio = Number((tenWorkloads.cpuS / shipped.cpuS).toFixed(2));
  // CPU time is the comparison: wall time on a shared 2-core machine moves with the load.
  console.log(`bench-synth-scale: ${JSON.stringify({ runs, workloadsPerTarget: { shipped: 3, tenWorkloads: 10 }, shipped, tenWorkloads, cpuRatio: ratio, target: '<= 1.3' })}`);
}
