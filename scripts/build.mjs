// Transpiles the TypeScript entry points to dist/ with esbuild (~0.1 s), so synth and the CLIs run on plain node.
// Type-checking is separate: `npm run typecheck`. Dependencies stay external (loaded from node_modules).
import { build } from 'esbuild';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', sourcemap: 'linked', logLevel: 'warning' };

const entries = {
  'dist/synth.js': 'scripts/synth.ts',
  'dist/infra.js': 'infra/main.ts',
  'dist/charts.js': 'charts/main.ts',
  'dist/deploy.js': 'deploy/main.ts',
};

/**
 * The Lambda handler: one minified bundle shared by every environment's function (bundled once, not per stack).
 * The Node.js Lambda runtime ships AWS SDK v3, so @aws-sdk/* stays external, as aws-cdk-lib's NodejsFunction does.
 * scripts/bench-lambda.mjs measures this same bundle (and a variant with the SDK inside).
 */
export const lambdaBundle = {
  entryPoints: ['lambda/src/index.ts'],
  outfile: 'dist/lambda/index.js',
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['@aws-sdk/*'],
  sourcemap: false,
  logLevel: 'warning',
};

// Builds only when run (`node scripts/build.mjs`), not when bench-lambda.mjs imports the options above.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const jobs = Object.entries(entries).map(([outfile, source]) => build({ ...node, entryPoints: [source], outfile }));
  if (existsSync(lambdaBundle.entryPoints[0])) jobs.push(build(lambdaBundle));
  await Promise.all(jobs);
}
