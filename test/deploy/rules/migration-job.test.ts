/** A migration Job's state, a pod that cannot start, and what of its logs may be shown. */
import type { KubeObject } from '../../../deploy/manifests';
import { jobState, MAX_LOG_LINE, redactLogLines, secretValues, stuckPodReason } from '../../../deploy/rules/migration-job';

const job = (conditions: object[]): KubeObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'web-migrate-x' }, status: { conditions } });

describe('jobState', () => {
  test('running until a true Complete or Failed condition (FailureTarget counts as failed)', () => {
    expect(jobState(job([]))).toEqual({ phase: 'running' });
    expect(jobState(job([{ type: 'Complete', status: 'False' }]))).toEqual({ phase: 'running' });
    expect(
      jobState(
        job([
          { type: 'SuccessCriteriaMet', status: 'True' },
          { type: 'Complete', status: 'True' },
        ]),
      ),
    ).toEqual({ phase: 'complete' });
    expect(jobState(job([{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded', message: 'too long' }]))).toEqual({
      phase: 'failed',
      reason: 'DeadlineExceeded',
      message: 'too long',
    });
    expect(jobState(job([{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' }]))).toEqual({ phase: 'failed', reason: 'BackoffLimitExceeded', message: '' });
  });
});

describe('stuckPodReason', () => {
  const pod = (reason: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    status: { containerStatuses: [{ name: 'web', state: { waiting: { reason } } }] },
  });
  test('an image that cannot be pulled or a container that cannot be created; not a pod that is only starting', () => {
    expect(stuckPodReason(pod('CreateContainerConfigError'))).toBe('pod p: container web is CreateContainerConfigError');
    expect(stuckPodReason(pod('ErrImagePull'))).toBe('pod p: container web is ErrImagePull');
    expect(stuckPodReason(pod('ContainerCreating'))).toBeUndefined();
  });
});

describe('redactLogLines', () => {
  test.each([
    ['DATABASE_PASSWORD=hunter2 ok', 'DATABASE_PASSWORD=[redacted] ok'],
    ['{"password":"p@ss word","user":"web"}', '{"password":[redacted],"user":"web"}'],
    ["api_key: 'k-123'", 'api_key: [redacted]'],
    ['url postgresql://web:pa55@db:5432/app', 'url postgresql://web:[redacted]@db:5432/app'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'Authorization: [redacted]'],
    ['sent Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'sent Bearer [redacted]'],
    ['key AKIAIOSFODNN7EXAMPLE used', 'key [redacted] used'],
    ['created table work_items (2 statements, 14 ms)', 'created table work_items (2 statements, 14 ms)'],
    // Errs on the side of hiding: a word after "secret:" may be one.
    ['no secret: created', 'no secret: [redacted]'],
  ])('%s', (line, shown) => {
    expect(redactLogLines([line])).toEqual([shown]);
  });

  test('known secret values anywhere, longest first; long lines are cut', () => {
    expect(redactLogLines(['the client secret is abcdef123 and abcd, not abc'], ['abc', 'abcd', 'abcdef123'])).toEqual(['the client secret is [redacted] and [redacted], not abc']);
    expect(redactLogLines(['x'.repeat(1000)])[0]).toHaveLength(MAX_LOG_LINE + 1);
  });

  test("the values of the release's Secrets (data base64, stringData plain) are the known secrets", () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'alb-oidc-client' },
      data: { clientSecret: Buffer.from('s3cr3t-value').toString('base64') },
      stringData: { clientID: 'id-1' },
    };
    expect(secretValues([secret, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { A: 'not secret' } }])).toEqual(['s3cr3t-value', 'id-1']);
  });
});
