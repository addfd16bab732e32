// ESLint rule `local/no-import-cycle`: a relative import must not lead back to the importing file. Unlike
// import-x/no-cycle, type-only imports count: a type cycle (run.ts ↔ abort-canary.ts, issue 24) still ties two files
// together, so neither can be read, moved or tested without the other. Dependencies are read from disk with
// TypeScript's import scanner (no type-checking), cached by modification time.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import ts from 'typescript';

const EXTENSIONS = ['', '.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '/index.ts', '/index.js'];

/** The file a relative specifier names, or undefined (a package, or nothing on disk). */
function resolveImport(fromFile, specifier) {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  for (const extension of EXTENSIONS) {
    const candidate = base + extension;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const cache = new Map();

/** The files a file imports (static, type-only, re-exports, dynamic import() and require()). */
function dependencies(file) {
  const mtime = statSync(file).mtimeMs;
  const cached = cache.get(file);
  if (cached?.mtime === mtime) return cached.deps;
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const deps = [...new Set(importedFiles.map((i) => resolveImport(file, i.fileName)).filter(Boolean))];
  cache.set(file, { mtime, deps });
  return deps;
}

/** A path of imports from `start` back to `target` (depth first), or undefined. */
function pathBack(start, target) {
  const seen = new Set();
  const walk = (file) => {
    if (file === target) return [file];
    if (seen.has(file)) return undefined;
    seen.add(file);
    for (const dep of dependencies(file)) {
      const rest = walk(dep);
      if (rest) return [file, ...rest];
    }
    return undefined;
  };
  return walk(start);
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Disallow relative imports that lead back to the importing file (type-only imports included).' },
    schema: [],
    messages: { cycle: 'Import cycle: {{cycle}}. Move what both need into a module that neither imports back.' },
  },
  create(context) {
    const file = context.filename;
    const root = context.cwd;
    const check = (node, source) => {
      if (typeof source?.value !== 'string') return;
      const target = resolveImport(file, source.value);
      if (!target || target === file) return;
      const back = pathBack(target, file);
      if (back) context.report({ node, messageId: 'cycle', data: { cycle: [file, ...back].map((f) => relative(root, f)).join(' → ') } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      CallExpression: (node) => node.callee.type === 'Identifier' && node.callee.name === 'require' && check(node, node.arguments[0]),
    };
  },
};
