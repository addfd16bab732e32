// Bundle size and cold-import time of the upload API Lambda (lambda/src/index.ts).
//   (a) @aws-sdk/* external — what ships by default: the Lambda Node.js runtime provides SDK v3
//       (as aws-cdk-lib's NodejsFunction assumes); here those packages resolve from node_modules.
//   (b) SDK bundled — a self-contained bundle that pins its own SDK version.
// The esbuild options of scripts/build.mjs (only outfile and external vary). Prints numbers only; targets: (a) ≤ 250 KB,
// (b) ≤ 700 KB, import ≤ 200 ms.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { lambdaBundle } from './build.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const outDir = resolve('dist/bench-lambda'); // inside the repo, so (a) finds @aws-sdk/* in node_modules
mkdirSync(outDir, { recursive: true });

const common = { ...lambdaBundle, metafile: true };

const variants = [
  { name: '(a) SDK external (Lambda runtime SDK, default)', outfile: `${outDir}/external/index.js`, external: lambdaBundle.external, targetKb: 250 },
  { name: '(b) SDK bundled', outfile: `${outDir}/bundled/index.js`, external: [], targetKb: 700 },
];

// The composition root parses its configuration at import, as on a cold start.
const env = {
  ...process.env,
  NODE_NO_WARNINGS: '1',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  UPLOAD_BUCKET: 'bench-uploads',
  UPLOAD_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
};

function importMs(file, expectHandler = true) {
  const check = expectHandler ? `if(typeof m.handler!=='function')throw new Error('no handler');` : '';
  const script = `const t=process.hrtime.bigint();const m=require(${JSON.stringify(file)});const d=Number(process.hrtime.bigint()-t)/1e6;${check}console.log(d.toFixed(1));`;
  return Number(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim());
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

console.log(`Lambda bundle (esbuild, minified, node22, cjs), cold import in a fresh node ${process.version} process, median of ${RUNS}`);
console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} (import times grow with load)`,
);
for (const variant of variants) {
  const started = performance.now();
  const result = await build({ ...common, outfile: variant.outfile, external: variant.external });
  const buildMs = performance.now() - started;
  const bytes = statSync(variant.outfile).size;
  const inputs = Object.keys(result.metafile.inputs).length;
  importMs(variant.outfile); // warm the OS file cache; every measured run is still a new process
  const runs = Array.from({ length: RUNS }, () => importMs(variant.outfile));
  console.log(
    `${variant.name}\n` +
      `  bundle: ${(bytes / 1024).toFixed(1)} KB (target ≤ ${variant.targetKb} KB), ${inputs} input files, built in ${buildMs.toFixed(0)} ms\n` +
      `  cold import: median ${median(runs).toFixed(1)} ms (target ≤ 200 ms), min ${Math.min(...runs).toFixed(1)}, max ${Math.max(...runs).toFixed(1)}`,
  );
}

// Reference: what the SDK packages alone cost to import from node_modules (the floor for variant (a)).
const sdkOnly = `${outDir}/sdk-only.js`;
await build({
  ...common,
  entryPoints: undefined,
  stdin: { contents: "require('@aws-sdk/client-s3');require('@aws-sdk/s3-request-presigner');", resolveDir: process.cwd() },
  outfile: sdkOnly,
  external: ['@aws-sdk/*'],
});
importMs(sdkOnly, false);
const sdkRuns = Array.from({ length: RUNS }, () => importMs(sdkOnly, false));
console.log(
  `reference: @aws-sdk/client-s3 + s3-request-presigner alone from node_modules\n  cold import: median ${median(sdkRuns).toFixed(1)} ms, min ${Math.min(...sdkRuns).toFixed(1)}, max ${Math.max(...sdkRuns).toFixed(1)}`,
);
