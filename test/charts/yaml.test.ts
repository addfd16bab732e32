import { load, YAML11_SCHEMA } from 'js-yaml';
import { toYamlDocument } from '../../charts/yaml';

const TRICKY = {
  plain: 'web',
  placeholder: '<placeholder:certificateArn>',
  arn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
  json: '{"issuer":"https://x","secretName":"web-oidc-client"}',
  listen: '[{"HTTP": 80}, {"HTTPS": 443}]',
  yaml11: ['yes', 'No', 'on', 'OFF', 'y', 'n', 'true', 'null', '~', '', '=', '<<'],
  numbers: ['8080', '0755', '1.10', '1e3', '.inf', '0x1F', '25%', '1000m', '64Mi', '-1', '+1', '12:30', '10.0.0.0/16', '0.0.0.0/0', '100%', '250m', '512Mi', '2001-12-14', '1_000', '0b101', '190:20:30'],
  odd: ['a: b', 'a #b', 'end:', '#x', '- x', '*x', '&x', '!x', '|', '>', '%x', '@x', '`x', 'multi\nline', ' lead', 'trail ', 'tab\tx', 'ünï', "it's"],
  flags: { t: true, f: false, z: null, n: 0, m: -1.5 },
  empty: { map: {}, list: [] },
  nested: [{ a: 1, b: [{ c: 'd' }, 'e'] }, [1, 2], 'x'],
  'key with space': 'v',
  'app.kubernetes.io/name': 'web',
};

describe('toYamlDocument', () => {
  test.each([
    ['YAML 1.2 (core)', undefined],
    ['YAML 1.1 (as kubectl reads)', YAML11_SCHEMA],
  ])('round-trips tricky values under %s', (_name, schema) => {
    const text = toYamlDocument(TRICKY);
    expect(load(text, schema ? { schema } : undefined)).toEqual(TRICKY);
  });

  test('writes simple values plain, in block style', () => {
    expect(toYamlDocument({ kind: 'Service', spec: { ports: [{ name: 'http', port: 80 }], selector: { app: 'web' } } })).toBe(
      'kind: Service\nspec:\n  ports:\n    - name: http\n      port: 80\n  selector:\n    app: web\n',
    );
  });

  test('fails when a value is not plain data', () => {
    expect(() => toYamlDocument({ n: Number.NaN })).toThrow('cannot write the number NaN');
    expect(() => toYamlDocument({ f: () => 1 })).toThrow('cannot write a function');
  });
});
