// Bundles the sample service into one self-contained file (dependencies included, no node_modules at run time).
// Usage: node app/build.mjs [outfile]   (default dist/app/server.js)
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(process.argv[2] ?? resolve(root, 'dist/app/server.js'));

await build({
  entryPoints: [resolve(root, 'app/src/main.ts')],
  outfile,
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // pg loads its optional native binding lazily (only with `pg.native`), which this service never uses.
  external: ['pg-native'],
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
});
