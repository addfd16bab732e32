import { HelpRequested, parseDeployArgs } from '../../deploy/args';
import { DeployError, EXIT } from '../../deploy/errors';

function refusal(argv: string[], env: NodeJS.ProcessEnv = {}): DeployError {
  try {
    parseDeployArgs(argv, env);
  } catch (e) {
    expect(e).toBeInstanceOf(DeployError);
    expect((e as DeployError).exitCode).toBe(EXIT.invalidInput);
    return e as DeployError;
  }
  throw new Error(`expected ${argv.join(' ')} to be refused`);
}

describe('deploy arguments', () => {
  test('parses a full command line', () => {
    const o = parseDeployArgs(['--env', 'dev', '--image', 'r.example/web:1.0.0', '--outputs', 'o.json', '--kubeconfig', 'k', '--context', 'c', '--timeout', '90', '--diff']);
    expect(o).toEqual({
      env: 'dev',
      image: 'r.example/web:1.0.0',
      outputsFile: 'o.json',
      manifestsDir: undefined,
      kubeconfig: 'k',
      context: 'c',
      mode: 'diff',
      timeoutSeconds: 90,
      awsEndpoint: undefined,
      imageWaitSeconds: 600,
    });
  });

  test('defaults: apply mode, 600 s timeout, AWS endpoint from PLATFORM_AWS_ENDPOINT', () => {
    const o = parseDeployArgs(['--env=generic', '--image=web:1'], { PLATFORM_AWS_ENDPOINT: 'http://127.0.0.1:5000' });
    expect(o.mode).toBe('apply');
    expect(o.timeoutSeconds).toBe(600);
    expect(o.awsEndpoint).toBe('http://127.0.0.1:5000');
    expect(parseDeployArgs(['--env', 'dev', '--manifests', 'm', '--dry-run']).mode).toBe('dry-run');
  });

  test('--abort-canary: no image needed; it cannot be combined with a release', () => {
    expect(parseDeployArgs(['--env', 'prod', '--abort-canary', '--kubeconfig', 'k'])).not.toHaveProperty('image');
    expect(parseDeployArgs(['--env', 'prod', '--abort-canary', '--kubeconfig', 'k', '--workload', 'web'])).toMatchObject({ mode: 'abort-canary', workloads: ['web'] });
    expect(refusal(['--env', 'prod', '--abort-canary', '--workload', 'web', '--workload', 'api']).message).toBe('--abort-canary takes one --workload (given web, api)');
    expect(refusal(['--env', 'prod', '--abort-canary', '--image', 'web:1']).message).toBe(
      '--abort-canary takes no --image, --manifests, --dry-run or --diff: it only removes a leftover canary of --env <name>',
    );
    expect(refusal(['--env', 'prod', '--abort-canary', '--diff']).message).toMatch(/^--abort-canary takes no/);
  });
  test('fails when --env is missing', () => expect(refusal(['--image', 'web:1']).message).toMatch(/--env is required/));
  test('fails when neither --image nor --manifests is given', () => expect(refusal(['--env', 'dev']).message).toMatch(/--image is required/));
  test('fails when --image is combined with --manifests', () => expect(refusal(['--env', 'dev', '--image', 'web:1', '--manifests', 'm']).message).toMatch(/applied as-is/));
  test('fails when --dry-run and --diff are combined', () => expect(refusal(['--env', 'dev', '--image', 'web:1', '--dry-run', '--diff']).message).toMatch(/exclusive/));
  test('fails when an unknown flag is given', () => expect(refusal(['--env', 'dev', '--image', 'web:1', '--force']).message).toMatch(/Unknown option '--force'/));
  test('fails when a positional argument is given', () => expect(refusal(['dev']).message).toMatch(/positional/i));
  test('fails when --timeout is not whole seconds', () => {
    expect(refusal(['--env', 'dev', '--image', 'web:1', '--timeout', '1.5']).message).toMatch(/--timeout is "1.5"/);
    expect(refusal(['--env', 'dev', '--image', 'web:1', '--timeout', '0']).message).toMatch(/--timeout/);
  });
  test('fails when --context has no kubeconfig', () => {
    expect(refusal(['--env', 'dev', '--image', 'web:1', '--context', 'x']).message).toMatch(/--context needs --kubeconfig/);
    expect(parseDeployArgs(['--env', 'dev', '--image', 'web:1', '--context', 'x'], { KUBECONFIG: '/k' }).context).toBe('x');
  });
  test('fails when a value is empty', () => expect(refusal(['--env', 'dev', '--image', 'web:1', '--outputs', ' ']).message).toMatch(/--outputs is empty/));
  test('--image <name>=<ref> repeats per image, --workload per workload; a bare --image stays a bare reference', () => {
    const o = parseDeployArgs(['--env', 'generic', '--image', 'app=r.example/web:1', '--image', 'jobs=r.example/jobs:2', '--workload', 'web', '--workload', 'prune']);
    expect(o).toMatchObject({ images: { app: 'r.example/web:1', jobs: 'r.example/jobs:2' }, workloads: ['web', 'prune'] });
    expect(o).not.toHaveProperty('image');
    expect(parseDeployArgs(['--env', 'generic', '--image', 'r.example/web:1'])).toMatchObject({ image: 'r.example/web:1' });
  });
  test('fails when an image name or a workload is given twice, naming it (nothing applied)', () => {
    expect(refusal(['--env', 'generic', '--image', 'app=r.example/web:1', '--image', 'app=r.example/web:2']).message).toBe(
      '--image app is given twice (r.example/web:1, r.example/web:2); give each image name once',
    );
    expect(refusal(['--env', 'generic', '--image', 'app=r.example/web:1', '--workload', 'worker', '--workload', 'worker']).message).toBe(
      '--workload worker is given twice; give each workload once',
    );
    expect(refusal(['--env', 'generic', '--image', 'r.example/web:1', '--image', 'app=r.example/web:2']).message).toMatch(/a bare reference is accepted only alone/);
  });
  test('prints help', () => expect(() => parseDeployArgs(['--help'])).toThrow(HelpRequested));
});
