/**
 * Preloaded by the entry commands (`node -r ./dist/compile-cache.js dist/synth.js`, cdk.json): a V8 code cache for
 * what the process loads, so aws-cdk-lib and cdk-nag are not parsed anew on every synth (~0.3 s of ~1.3 s here).
 * Node's own `module.enableCompileCache()` where the Node version has it (22.1+); the Node 20 patch otherwise
 * (scripts/compile-cache-node20.ts). No module of the app imports this: the entry command decides.
 * Off with PLATFORM_COMPILE_CACHE=0.
 */
import Module from 'node:module';
import { installNode20CompileCache } from './compile-cache-node20';

const { enableCompileCache } = Module as unknown as { enableCompileCache?: () => unknown };
if (process.env.PLATFORM_COMPILE_CACHE !== '0') {
  if (enableCompileCache) enableCompileCache();
  else installNode20CompileCache();
}
