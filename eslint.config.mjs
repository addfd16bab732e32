// ESLint (typescript-eslint) for the whole repository, with the layer directions as rules: a dependency that points
// the wrong way fails `npm run lint` (test/lint/layers.test.ts shows it on a deliberate violation), and so does an
// import cycle (eslint-rules/no-import-cycle.mjs; test/lint/import-cycle.test.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import noImportCycle from './eslint-rules/no-import-cycle.mjs';

/** A relative import into one of these top-level folders, from any depth (`../infra/x`, `../../charts`). */
const into = (...folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
const AWS_CDK = '^(aws-cdk-lib|@aws-cdk/|cdk-nag)(/|$)';
const CDK8S = '^cdk8s(-plus-34)?(/|$)';
const AWS_SDK = '^@aws-sdk/';
const rule = (regex, message) => ({ regex, message });
/** The platform configuration (config/platform.ts) is read by the entry points only and passed down as props. */
const PLATFORM_CONFIG = [
  rule('^(\\.\\./)+config/platform$', 'Only entry points read the platform configuration; take it as a prop instead.'),
  { regex: '^(\\.\\./)+config(/index)?$', importNames: ['platformConfig'], message: 'Only entry points read the platform configuration; take it as a prop instead.' },
];

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns: patterns.flat() }] });
const CHARTS = 'charts/ stay portable: config/ and cdk8s only (never aws-cdk-lib, the AWS SDK or another layer).';
const INFRA = 'infra/ builds the cloud side from config/ and aws-cdk-lib only.';
const DEPLOY = 'deploy/ reads rendered manifests and outputs, never CDK constructs (its entry point passes the renderer in).';
const RUNTIME = 'lambda/ and app/ import neither infra/ nor charts/ (shared names come from config/).';

export default tseslint.config(
  // test/lint/fixtures/ holds deliberate violations, linted by test/lint/ only.
  { ignores: ['node_modules/', 'dist/', 'cdk.out/', 'cdk.out.*/', 'manifests/', 'manifests.*/', '.deploy/', 'coverage/', 'test/lint/fixtures/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        structuredClone: 'readonly',
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { local: { rules: { 'no-import-cycle': noImportCycle } } },
    rules: {
      // No file imports itself back through its imports, type-only imports included (issue 24).
      'local/no-import-cycle': 'error',
      // `_` marks a binding kept on purpose (destructuring a field away, an unused callback parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Every eslint-disable names the rule and says why.
      'no-warning-comments': 'off',
    },
  },
  // Layer directions (README.md#repository-layout). Entry points (*/main.ts, scripts/) wire layers together.
  {
    files: ['config/**/*.ts'],
    rules: restrict(
      rule(AWS_CDK, 'config/ depends on nothing.'),
      rule(CDK8S, 'config/ depends on nothing.'),
      rule(into('infra', 'charts', 'deploy', 'lambda', 'app', 'scripts'), 'config/ depends on nothing.'),
    ),
  },
  {
    files: ['charts/**/*.ts'],
    ignores: ['charts/main.ts'],
    rules: restrict(rule(AWS_CDK, CHARTS), rule(AWS_SDK, CHARTS), rule(into('infra', 'deploy', 'lambda', 'app', 'scripts'), CHARTS), PLATFORM_CONFIG),
  },
  { files: ['charts/main.ts'], rules: restrict(rule(AWS_CDK, CHARTS), rule(AWS_SDK, CHARTS), rule(into('infra', 'deploy', 'lambda', 'app', 'scripts'), CHARTS)) },
  // infra/ may import lambda/ (it packages the functions, and shares their SQL statements), never the others.
  { files: ['infra/**/*.ts'], ignores: ['infra/main.ts'], rules: restrict(rule(CDK8S, INFRA), rule(into('charts', 'deploy', 'app', 'scripts'), INFRA), PLATFORM_CONFIG) },
  { files: ['infra/main.ts'], rules: restrict(rule(CDK8S, INFRA), rule(into('charts', 'deploy', 'app', 'scripts'), INFRA)) },
  {
    files: ['deploy/**/*.ts'],
    ignores: ['deploy/commands/*.ts'],
    rules: restrict(rule(AWS_CDK, DEPLOY), rule(CDK8S, DEPLOY), rule(into('infra', 'charts', 'lambda', 'app', 'scripts'), DEPLOY), PLATFORM_CONFIG),
  },
  { files: ['deploy/commands/*.ts'], rules: restrict(rule(AWS_CDK, DEPLOY), rule(into('infra', 'lambda', 'app', 'scripts'), DEPLOY)) },
  {
    files: ['lambda/**/*.ts', 'app/**/*.ts'],
    rules: restrict(rule(AWS_CDK, RUNTIME), rule(CDK8S, RUNTIME), rule(into('infra', 'charts', 'deploy', 'scripts'), RUNTIME), PLATFORM_CONFIG),
  },
  // Functions stay small: one job each (deploy/ since issue 9; infra/, charts/ and config/ since issue 24).
  {
    files: ['deploy/**/*.ts', 'infra/**/*.ts', 'charts/**/*.ts', 'config/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: false, skipComments: false }] },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read untyped JSON (kubectl, CloudFormation templates) and poke at objects on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // CommonJS files (jest configs and setup, test fixtures).
  { files: ['**/*.js', '**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { exports: 'writable' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
);
