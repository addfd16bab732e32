import { join } from 'node:path';
import { readAssembly } from './assembly';
import { diffStacks } from './cloudformation';
import { diffTargets, readManifestTree } from './manifests';
import type { Review } from './report';

/** A side on disk: `<dir>/cdk.out` and `<dir>/manifests`. */
export interface SideOnDisk {
  readonly label: string;
  readonly dir: string;
  readonly notes?: readonly string[];
}

/** Diffs two synthesized sides: every stack of either cloud assembly, every manifest target of either tree. */
export function reviewSides(base: SideOnDisk, head: SideOnDisk): Review {
  return {
    base: base.label,
    head: head.label,
    stacks: diffStacks(readAssembly(join(base.dir, 'cdk.out')), readAssembly(join(head.dir, 'cdk.out'))),
    targets: diffTargets(readManifestTree(join(base.dir, 'manifests')), readManifestTree(join(head.dir, 'manifests'))),
    notes: [...(base.notes ?? []), ...(head.notes ?? [])],
  };
}
