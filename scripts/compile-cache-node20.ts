/**
 * Node 20 only (no `module.enableCompileCache()`): a V8 code cache for modules loaded from node_modules, by patching
 * Node's private `Module.prototype._compile`. Parsing aws-cdk-lib and cdk-nag (whose rules load large generated L1
 * modules such as aws-quicksight, 5 MB) is about a quarter of the synth's CPU time; with the cache it is mostly
 * skipped. Installed by scripts/compile-cache.ts, and only where Node lacks its own. Delete with Node 20.
 *
 * Cache: node_modules/.cache/platform-v8/<node version>/,
 * one file per module, named by a hash of its path and content: V8 itself only checks the source *length* against
 * cached data, so a key without the content could serve the old code of an edited file of the same size.
 * Disable with PLATFORM_COMPILE_CACHE=0. Any failure before the module runs falls back to Node's own compile; an
 * error thrown by the module itself propagates as usual (the module is never run twice).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, join, sep } from 'node:path';
import { Script } from 'node:vm';
import * as zlib from 'node:zlib';

interface InternalModule {
  /** `format` (Node >= 20.19): 'module' when require() loads an ES module, which only Node's own compile handles. */
  _compile(content: string, filename: string, format?: string): unknown;
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
type ModuleWrapper = (exports: unknown, require: unknown, module: unknown, filename: string, dirname: string) => unknown;

const NODE_MODULES = `${sep}node_modules${sep}`;
// Node's own compile cache checks content with CRC32 too (zlib.crc32, Node >= 20.15); earlier 20.x hash with sha1 (~2x slower).
const crc32 = (zlib as { crc32?: (data: string) => number }).crc32;
const contentDigest = (content: string): string => (crc32 ? String(crc32(content)) : createHash('sha1').update(content).digest('hex'));

export function installNode20CompileCache(): void {
  const statics = Module as unknown as ModuleStatics;
  const cacheDir = join(process.cwd(), 'node_modules', '.cache', 'platform-v8', process.version);
  const pending = new Map<string, Script>();
  const original = statics.prototype._compile;
  const main = require.main;

  /** The module's wrapper function, compiled with cached data; undefined (→ Node's own compile) on any failure. */
  function compileWithCache(content: string, filename: string): ModuleWrapper | undefined {
    // A vm.Script has no loader for import(): such modules would fail when they call it, so Node compiles them.
    if (content.includes('import(')) return undefined;
    try {
      const key = join(
        cacheDir,
        createHash('sha1')
          .update(`${filename}\0${content.length}\0${contentDigest(content)}`)
          .digest('hex'),
      );
      let cachedData: Buffer | undefined;
      try {
        cachedData = readFileSync(key);
      } catch {
        cachedData = undefined;
      }
      const source = content.startsWith('#!') ? `//${content}` : content;
      const script = new Script(statics.wrap(source), { filename, cachedData });
      if (!cachedData || script.cachedDataRejected) pending.set(key, script);
      // Evaluates the wrapper's function expression only; the module's body runs in the caller.
      return script.runInThisContext({ displayErrors: true }) as ModuleWrapper;
    } catch {
      return undefined;
    }
  }

  statics.prototype._compile = function compileWithCodeCache(this: InternalModule, content: string, filename: string, format?: string) {
    const commonJs = format === undefined || format === 'commonjs';
    const wrapper = commonJs && filename.includes(NODE_MODULES) ? compileWithCache(content, filename) : undefined;
    if (!wrapper) return original.call(this, content, filename, format);
    // The same `require` that Node's makeRequireFunction gives a module (arrows: `this` is the module).
    const moduleRequire = Object.assign((id: string) => this.require(id), {
      resolve: Object.assign((request: string, options?: unknown) => statics._resolveFilename(request, this, false, options), {
        paths: (request: string) => statics._resolveLookupPaths(request, this),
      }),
      main,
      extensions: statics._extensions,
      cache: statics._cache,
    });
    return wrapper.call(this.exports, this.exports, moduleRequire, this, filename, dirname(filename));
  };

  process.once('exit', () => {
    if (pending.size === 0) return;
    try {
      mkdirSync(cacheDir, { recursive: true });
      // Write then rename, so a concurrent process never reads a half-written entry.
      for (const [key, script] of pending) {
        const temporary = `${key}.${process.pid}.tmp`;
        writeFileSync(temporary, script.createCachedData());
        renameSync(temporary, key);
      }
    } catch {
      // A read-only node_modules only costs speed.
    }
  });
}
