import { join } from 'node:path';
import { readAssembly } from './assembly';
import { diffStacks } from './cloudformation';
import { diffTargets, readManifestTree } from './manifests';
import type { Review } from './report';

/** A side on disk: `<dir>/cdk.out<suffix>` and `<dir>/manifests<suffix>` (as `npm run synth [-- --config <name>]` writes them). */
export interface SideOnDisk {
  readonly label: string;
  readonly dir: string;
  /**
   * `.<configuration>` for another configuration than the default.
   * @default ''
   */
  readonly suffix?: string;
  readonly notes?: readonly string[];
}

/** Diffs two synthesized sides: every stack of either cloud assembly, every manifest target of either tree. */
export function reviewSides(base: SideOnDisk, head: SideOnDisk): Review {
  return {
    base: base.label,
    head: head.label,
    stacks: diffStacks(readAssembly(join(base.dir, `cdk.out${base.suffix ?? ''}`)), readAssembly(join(head.dir, `cdk.out${head.suffix ?? ''}`))),
    targets: diffTargets(readManifestTree(join(base.dir, `manifests${base.suffix ?? ''}`)), readManifestTree(join(head.dir, `manifests${head.suffix ?? ''}`))),
    notes: [...(base.notes ?? []), ...(head.notes ?? [])],
  };
}
