// Bundles a test variant of the sample service (test/e2e/variants/main.ts) into one file, the variant fixed
// at build time. Usage: node test/e2e/variants/build.mjs <variant> <outfile>
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [variant, outfile] = process.argv.slice(2);
if (!variant || !outfile) throw new Error('usage: build.mjs <variant> <outfile>');
await build({
  entryPoints: [resolve(dirname(fileURLToPath(import.meta.url)), 'main.ts')],
  outfile: resolve(outfile),
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['pg-native'],
  define: { PLATFORM_VARIANT: JSON.stringify(variant) },
  legalComments: 'none',
  logLevel: 'warning',
});
