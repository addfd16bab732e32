import { toYaml, type KubeObject } from '../../../deploy/manifests';
import { redact } from '../../../deploy/rules/secrets';

describe('review copy', () => {
  test('redacts every Secret (data and stringData), not only the OIDC client Secret, and leaves other objects as they are', () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'web-database' },
      data: { password: 'c2VjcmV0LXZhbHVl' },
      stringData: { username: 'app-user' },
    };
    const configMap: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web' }, data: { password: 'not-a-secret-here' } };
    const text = toYaml([secret, configMap].map(redact));
    expect(text).not.toContain('c2VjcmV0LXZhbHVl');
    expect(text).not.toContain('app-user');
    expect(text).toContain('password: <redacted>');
    expect(text).toContain('not-a-secret-here');
    expect(secret.data).toEqual({ password: 'c2VjcmV0LXZhbHVl' });
  });
});
