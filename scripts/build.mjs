// Transpiles the TypeScript entry points to dist/ with esbuild (~0.1 s), so synth and the CLIs run on plain node.
// Type-checking is separate: `npm run typecheck`. Dependencies stay external (loaded from node_modules).
import { build } from 'esbuild';
import { existsSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const node = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', sourcemap: 'linked', logLevel: 'warning' };

const entries = {
  'dist/synth.js': 'scripts/synth.ts',
  // Preloaded by the synth entry commands (node -r), never imported by them.
  'dist/compile-cache.js': 'scripts/compile-cache.ts',
  'dist/infra.js': 'infra/main.ts',
  'dist/charts.js': 'charts/main.ts',
  'dist/deploy.js': 'deploy/commands/deploy.ts',
  'dist/render.js': 'deploy/commands/render.ts',
  'dist/export-helm.js': 'deploy/commands/export-helm.ts',
  'dist/diff.js': 'diff/main.ts',
  'dist/diff-publish.js': 'diff/publish-main.ts',
  'dist/scan-report.js': 'scripts/scan-report.ts',
  'dist/image-platforms.js': 'scripts/image-platforms.ts',
  'dist/images.js': 'scripts/images.ts',
  'dist/deploy-stacks.js': 'scripts/deploy-stacks.ts',
  'dist/restore-db.js': 'scripts/restore-db.ts',
  'dist/recreate-import.js': 'scripts/recreate-import.ts',
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

/**
 * The database-role bootstrap (custom resource handler, lambda/database-role): pg bundled in, the runtime's SDK external.
 */
export const databaseRoleBundle = {
  ...lambdaBundle,
  entryPoints: ['lambda/database-role/index.ts'],
  outfile: 'dist/database-role/index.js',
  // pg loads its optional native binding lazily (only with `pg.native`), which the handler never uses.
  external: ['@aws-sdk/*', 'pg-native'],
};

// Builds only when run (`node scripts/build.mjs`), not when bench-lambda.mjs imports the options above.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const jobs = Object.entries(entries).map(([outfile, source]) => build({ ...node, entryPoints: [source], outfile }));
  if (existsSync(lambdaBundle.entryPoints[0])) jobs.push(build(lambdaBundle));
  if (existsSync(databaseRoleBundle.entryPoints[0])) jobs.push(build(databaseRoleBundle));
  await Promise.all(jobs);
}
