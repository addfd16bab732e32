/**
 * The layer directions are enforced by `npm run lint` (eslint.config.mjs): a deliberate violation in each layer is
 * an error, the allowed imports are not.
 */
import { lintText } from './lint-text';

type Case = [file: string, code: string];

const VIOLATIONS: [...Case, RegExp][] = [
  ['charts/violation.ts', "import { Stack } from 'aws-cdk-lib';\nexport const s = Stack;\n", /charts\/ stay portable/],
  ['charts/violation.ts', "import * as s3 from 'aws-cdk-lib/aws-s3';\nexport const b = s3;\n", /charts\/ stay portable/],
  ['charts/violation.ts', "import { synthInfra } from '../infra/app';\nexport const f = synthInfra;\n", /charts\/ stay portable/],
  ['lambda/src/violation.ts', "import { UploadApi } from '../../infra/constructs/api';\nexport const a = UploadApi;\n", /lambda\/ and app\/ import neither infra\/ nor charts\//],
  ['app/src/violation.ts', "import { WebService } from '../../charts/web-service';\nexport const w = WebService;\n", /lambda\/ and app\/ import neither/],
  [
    'deploy/phases/violation.ts',
    "import { EnvironmentStack } from '../../infra/stacks/environment-stack';\nexport const e = EnvironmentStack;\n",
    /deploy\/ reads rendered manifests/,
  ],
  ['deploy/phases/violation.ts', "import { renderTarget } from '../../charts/app';\nexport const r = renderTarget;\n", /deploy\/ reads rendered manifests/],
  ['infra/constructs/violation.ts', "import { platformConfig } from '../../config';\nexport const c = platformConfig;\n", /Only entry points read the platform configuration/],
  ['charts/violation.ts', "import { platformConfig } from '../config/platform';\nexport const c = platformConfig;\n", /Only entry points read the platform configuration/],
  ['infra/violation.ts', "import '../scripts/compile-cache';\n", /infra\/ builds the cloud side/],
  ['config/violation.ts', "import { App } from 'cdk8s';\nexport const a = App;\n", /config\/ depends on nothing/],
];

const ALLOWED: Case[] = [
  ['charts/allowed.ts', "import { WORKLOAD_NAME } from '../config';\nimport { App } from 'cdk8s';\nexport const x = [WORKLOAD_NAME, App];\n"],
  ['charts/allowed.ts', "import { renderTarget } from './app';\nexport const r = renderTarget;\n"],
  ['lambda/src/allowed.ts', "import { API_ROUTES } from '../../config/api';\nexport const r = API_ROUTES;\n"],
  [
    'deploy/commands/deploy.ts',
    "import { renderTarget } from '../../charts/app';\nimport { platformConfig } from '../../config';\nexport const x = [renderTarget, platformConfig];\n",
  ],
  ['infra/main.ts', "import { platformConfig } from '../config';\nexport const c = platformConfig;\n"],
];

jest.setTimeout(60_000);
let results: string[][];
beforeAll(() => {
  results = lintText([...VIOLATIONS.map(([f, c]) => [f, c] as Case), ...ALLOWED], 'no-restricted-imports');
});

describe('layer rules', () => {
  test.each(VIOLATIONS.map((v, i) => [v[0], v[1].split('\n')[0], v[2], i] as const))('fails when %s has `%s`', (_file, _line, message, i) => {
    expect(results[i]).toEqual([expect.stringMatching(message)]);
  });

  test.each(ALLOWED.map((a, i) => [a[0], a[1].split('\n')[0], VIOLATIONS.length + i] as const))('allows %s to have `%s`', (_file, _line, i) => {
    expect(results[i]).toEqual([]);
  });
});
