// Transpiles the TypeScript entry points to dist/ with esbuild (~0.1 s), so synth and the CLIs run on plain node.
// Type-checking is separate: `npm run typecheck`. Dependencies stay external (loaded from node_modules).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', sourcemap: 'linked', logLevel: 'warning' };

const entries = {
  'dist/synth.js': 'scripts/synth.ts',
  'dist/infra.js': 'infra/main.ts',
  'dist/charts.js': 'charts/main.ts',
  'dist/deploy.js': 'deploy/main.ts',
  'dist/bench-rollout.js': 'scripts/bench-rollout.ts',
};

const jobs = Object.entries(entries).map(([outfile, source]) => build({ ...node, entryPoints: [source], outfile }));

// The Lambda handler: one minified bundle shared by every environment's function (bundled once, not per stack).
// The Node.js Lambda runtime ships AWS SDK v3, so @aws-sdk/* stays external, as aws-cdk-lib's NodejsFunction does.
if (existsSync('lambda/src/index.ts')) {
  jobs.push(
    build({
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
    }),
  );
}

await Promise.all(jobs);
