// Benchmarks the main synth: builds once (esbuild), then runs `node -r ./dist/compile-cache.js dist/synth.js` as
// `npm run synth` does (every environment's templates with cdk-nag + every manifest) N times and prints the median
// wall time and peak memory (max RSS of the child, measured by GNU time, which covers node and anything it spawns).
//
//   node scripts/bench-synth.mjs [--runs 5] [--entry dist/synth.js] [--config multi-account]
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

const stats = mkdtempSync(join(tmpdir(), 'bench-synth-'));
const results = [];
for (let i = 0; i < runs; i++) {
  const statsFile = join(stats, `run-${i}.txt`);
  const started = process.hrtime.bigint();
  const child = spawnSync('/usr/bin/time', ['-v', '-o', statsFile, process.execPath, '-r', './dist/compile-cache.js', entry, ...(config ? ['--config', config] : [])], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    throw new Error(`bench: ${entry} exited with ${child.status} on run ${i + 1}`);
  }
  const text = readFileSync(statsFile, 'utf8');
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(text)[1]);
  const cpuS = Number(/User time \(seconds\): ([\d.]+)/.exec(text)[1]) + Number(/System time \(seconds\): ([\d.]+)/.exec(text)[1]);
  results.push({ wallMs, rssMb: rssKb / 1024, cpuS });
  console.error(`run ${i + 1}/${runs}: ${wallMs.toFixed(0)} ms wall, ${cpuS.toFixed(2)} s CPU, ${(rssKb / 1024).toFixed(0)} MB peak RSS`);
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
