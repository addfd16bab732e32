import { parseLocalDatabaseCommand } from '../../scripts/local-database';

const ARGS = ['--target', 'generic', '--socket-dir', '/var/lib/platform-local-postgres/run', '--host', '198.18.0.1', '--port', '5432', '--kubeconfig', '/tmp/k.yaml'];
const without = (name: string) => ARGS.filter((_, i) => ARGS[i] !== name && ARGS[i - 1] !== name);
const withValue = (name: string, value: string) => ARGS.map((a, i) => (ARGS[i - 1] === name ? value : a));

describe('local-database command line', () => {
  test('reads the portable target from the configuration and the connection settings', () => {
    const command = parseLocalDatabaseCommand(ARGS);
    expect({ ...command, target: command.target.name }).toEqual({
      target: 'generic',
      socketDir: '/var/lib/platform-local-postgres/run',
      host: '198.18.0.1',
      port: 5432,
      kubeconfig: '/tmp/k.yaml',
    });
    expect(command.target.namespace).toBe('web');
  });

  test('bad input: names the value and what is allowed', () => {
    expect(() => parseLocalDatabaseCommand(without('--host'))).toThrow(/^--host is required\nUsage: /);
    expect(() => parseLocalDatabaseCommand(withValue('--target', 'dev'))).toThrow('unknown portable target "dev"; allowed: "generic"');
    expect(() => parseLocalDatabaseCommand(withValue('--port', '65536'))).toThrow('--port is "65536"; allowed: an integer from 1 to 65535');
    expect(() => parseLocalDatabaseCommand([...ARGS, '--image', 'x'])).toThrow(/Unknown option '--image'.*\nUsage: /s);
  });
});
