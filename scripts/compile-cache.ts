/**
 * A V8 code cache for modules loaded from node_modules (what Node 22's `module.enableCompileCache()` does; these
 * machines run Node 20). Parsing aws-cdk-lib and cdk-nag (whose rules load large generated L1 modules such as
 * aws-quicksight, 5 MB) is about a quarter of the synth's CPU time; with the cache it is mostly skipped.
 *
 * Import it first in an entry point (before aws-cdk-lib). Cache: node_modules/.cache/platform-v8/ (V8 rejects
 * stale or foreign data, which is then regenerated). Disable with PLATFORM_COMPILE_CACHE=0. Any failure falls back
 * to Node's own compile.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

interface InternalModule {
  _compile(content: string, filename: string): unknown;
  require(id: string): unknown;
  exports: unknown;
}
interface ModuleStatics {
  prototype: InternalModule;
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: unknown): string[] | null;
  _extensions: unknown;
  _cache: unknown;
}

function install(): void {
  if (process.env.PLATFORM_COMPILE_CACHE === '0' || (Module as unknown as { enableCompileCache?: () => void }).enableCompileCache) {
    (Module as unknown as { enableCompileCache?: () => void }).enableCompileCache?.();
    return;
  }
  const statics = Module as unknown as ModuleStatics;
  const cacheDir = join(process.cwd(), 'node_modules', '.cache', 'platform-v8', process.version);
  const pending = new Map<string, Script>();
  const original = statics.prototype._compile;

  statics.prototype._compile = function compileWithCache(this: InternalModule, content: string, filename: string) {
    if (!filename.includes(`${'/'}node_modules${'/'}`)) return original.call(this, content, filename);
    try {
      const { size, mtimeMs } = statSync(filename);
      const key = join(cacheDir, createHash('sha1').update(`${filename}\0${size}\0${mtimeMs}`).digest('hex'));
      let cachedData: Buffer | undefined;
      try {
        cachedData = readFileSync(key);
      } catch {
        cachedData = undefined;
      }
      const source = content.startsWith('#!') ? `//${content}` : content;
      const script = new Script(statics.wrap(source), { filename, cachedData });
      if (!cachedData || script.cachedDataRejected) pending.set(key, script);
      const fn = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
      const mod = this;
      const require = Object.assign((id: string) => mod.require(id), {
        resolve: Object.assign((request: string, options?: unknown) => statics._resolveFilename(request, mod, false, options), {
          paths: (request: string) => statics._resolveLookupPaths(request, mod),
        }),
        main: require_main(),
        extensions: statics._extensions,
        cache: statics._cache,
      });
      return fn.call(mod.exports, mod.exports, require, mod, filename, dirname(filename));
    } catch (error) {
      if (error instanceof SyntaxError) return original.call(this, content, filename);
      throw error;
    }
  };

  process.once('exit', () => {
    if (pending.size === 0) return;
    try {
      mkdirSync(cacheDir, { recursive: true });
      for (const [key, script] of pending) writeFileSync(key, script.createCachedData());
    } catch {
      // A read-only node_modules only costs speed.
    }
  });
}

function require_main(): unknown {
  return require.main;
}

install();
