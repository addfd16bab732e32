/**
 * The database-role bootstrap against a real PostgreSQL (Debian's packages, started in a temp dir, as the sample
 * service's tests do). `rds_iam` is created as RDS has it (a NOLOGIN role), since plain PostgreSQL lacks it.
 *
 * Shows: the role is created; a second run changes nothing in the catalog; a changed spec and hand-made drift are
 * converged; the role works in its own schema and cannot create roles, read other schemas, create in public,
 * drop the database or log in with a password under IAM authentication; a failing run leaves nothing half-applied.
 */
import { Client } from 'pg';
import { ensureDatabaseRole } from '../../lambda/database-role/role';
import { databaseRoleStatements, DatabaseRoleSpecError, type DatabaseRoleSpec } from '../../lambda/database-role/statements';
import { literal, startPostgres, type Postgres } from '../app/postgres';

jest.setTimeout(30_000);

const DATABASE = 'app';
const spec: DatabaseRoleSpec = { roleName: 'web', databaseName: DATABASE, schemaName: 'web', iamAuthentication: true, connectionLimit: 50 };
let pg: Postgres;

/** Runs as the superuser on the application database (the Lambda connects there as the master user). */
async function asMaster<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'master-password', database: DATABASE });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function asWeb<T>(password: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: '127.0.0.1', port: pg.port, user: 'web', password, database: DATABASE });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Everything the bootstrap decides about the role, as the catalog shows it. */
async function catalogState(): Promise<unknown> {
  return asMaster(async (c) => {
    const q = async (text: string) => (await c.query(text)).rows;
    return {
      role: await q(
        `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, rolinherit, rolconnlimit, rolpassword IS NULL AS nopassword FROM pg_authid WHERE rolname = 'web'`,
      ),
      memberOf: await q(`SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = 'web' ORDER BY 1`),
      database: await q(`SELECT datacl::text[] AS acl FROM pg_database WHERE datname = '${DATABASE}'`),
      schema: await q(`SELECT n.nspowner::regrole::text AS owner, nspacl::text[] AS acl FROM pg_namespace n WHERE nspname = 'web'`),
      settings: await q(`SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = 'web'`),
    };
  });
}

const sqlState = (error: unknown) => (error as { code?: string }).code;

beforeAll(async () => {
  pg = await startPostgres();
  await pg.sql(`ALTER ROLE postgres PASSWORD ${literal('master-password')}`);
  await pg.sql('CREATE ROLE rds_iam NOLOGIN');
  await pg.sql(`CREATE DATABASE ${DATABASE}`);
  // Data the application must not see: another schema and a table in public, both the master's.
  const admin = new Client({ host: '127.0.0.1', port: pg.port, user: 'postgres', password: 'master-password', database: DATABASE });
  await admin.connect();
  await admin.query("CREATE SCHEMA billing; CREATE TABLE billing.cards (number text); INSERT INTO billing.cards VALUES ('4111'); CREATE TABLE public.admin_notes (note text)");
  await admin.end();
}, 120_000);

afterAll(async () => {
  await pg?.stop();
});

describe('databaseRoleStatements', () => {
  it('refuses identifiers that are not plain lowercase SQL names, naming the field and value', () => {
    expect(() => databaseRoleStatements({ ...spec, roleName: 'web"; DROP DATABASE app; --' })).toThrow(DatabaseRoleSpecError);
    expect(() => databaseRoleStatements({ ...spec, roleName: 'Web' })).toThrow(/roleName is "Web"; allowed: a lowercase SQL identifier/);
    expect(() => databaseRoleStatements({ ...spec, schemaName: 'public' })).toThrow(/schemaName is "public"; .*reserved/);
    expect(() => databaseRoleStatements({ ...spec, roleName: 'rds_superuser' })).toThrow(/roleName is "rds_superuser"/);
    expect(() => databaseRoleStatements({ ...spec, connectionLimit: 0 })).toThrow(/connectionLimit is 0; allowed: an integer from 1 to 10000/);
  });
});

describe('ensureDatabaseRole on a real PostgreSQL', () => {
  it('creates the role: login, no password, member of rds_iam only, owner of its schema, nothing more', async () => {
    expect((await pg.sql("SELECT 1 FROM pg_roles WHERE rolname = 'web'")).length).toBe(0);
    await asMaster((c) => ensureDatabaseRole(c, spec));
    expect(await catalogState()).toEqual({
      role: [
        {
          rolsuper: false,
          rolcreaterole: false,
          rolcreatedb: false,
          rolreplication: false,
          rolbypassrls: false,
          rolcanlogin: true,
          rolinherit: true,
          rolconnlimit: 50,
          nopassword: true,
        },
      ],
      memberOf: [{ rolname: 'rds_iam' }],
      database: [{ acl: ['postgres=CTc/postgres', 'web=Tc/postgres'] }],
      schema: [{ owner: 'web', acl: ['web=UC/web'] }],
      settings: [{ setconfig: ['search_path=web'] }],
    });
  });

  it('is idempotent: a second run changes nothing', async () => {
    const before = await catalogState();
    await asMaster((c) => ensureDatabaseRole(c, spec));
    expect(await catalogState()).toEqual(before);
  });

  it('applies a changed spec and undoes changes made by hand', async () => {
    await pg.sql('ALTER ROLE web CREATEROLE CREATEDB CONNECTION LIMIT 5');
    await pg.sql('GRANT pg_read_all_data TO web');
    await pg.sql('GRANT CREATE ON DATABASE app TO web');
    await asMaster((c) => ensureDatabaseRole(c, { ...spec, connectionLimit: 20 }));
    const state = (await catalogState()) as { role: Array<Record<string, unknown>>; memberOf: unknown; database: unknown };
    expect(state.role[0]).toMatchObject({ rolcreaterole: false, rolcreatedb: false, rolconnlimit: 20 });
    expect(state.memberOf).toEqual([{ rolname: 'rds_iam' }]);
    expect(state.database).toEqual([{ acl: ['postgres=CTc/postgres', 'web=Tc/postgres'] }]);
    await asMaster((c) => ensureDatabaseRole(c, spec));
  });

  it('the role works in its own schema and can do nothing else', async () => {
    // Stand-in for the IAM token that RDS would accept: a password set by the master for this test only.
    await pg.sql(`ALTER ROLE web PASSWORD ${literal('test-only-login')}`);
    await asWeb('test-only-login', async (web) => {
      await web.query('CREATE TABLE items (id int PRIMARY KEY, name text)'); // search_path = web
      await web.query("INSERT INTO items VALUES (1, 'one')");
      expect((await web.query('SELECT name FROM web.items')).rows).toEqual([{ name: 'one' }]);
      await web.query('ALTER TABLE items ADD COLUMN size int'); // its own migrations
      const refused = async (text: string) => web.query(text).then(() => 'allowed', sqlState);
      expect(await refused('CREATE ROLE intruder')).toBe('42501');
      expect(await refused('SELECT * FROM billing.cards')).toBe('42501');
      expect(await refused('SELECT * FROM public.admin_notes')).toBe('42501');
      expect(await refused('CREATE TABLE public.mine (x int)')).toBe('42501');
      expect(await refused('CREATE SCHEMA other')).toBe('42501');
      expect(await refused('DROP DATABASE app')).toBe('42501'); // only the owner (the master) may
      expect(await refused('GRANT pg_read_all_data TO web')).toBe('42501');
      expect(await refused('CREATE DATABASE mine')).toBe('42501');
      expect(await refused('SET ROLE postgres')).toBe('42501');
    });
    const other = new Client({ host: '127.0.0.1', port: pg.port, user: 'web', password: 'test-only-login', database: 'postgres' });
    await other.connect();
    expect(await other.query('DROP DATABASE app').then(() => 'allowed', sqlState)).toBe('42501'); // from another database too
    await other.end();
  });

  it('under IAM authentication a re-run removes any password: the role cannot log in with one', async () => {
    await asMaster((c) => ensureDatabaseRole(c, spec));
    const login = await asWeb('test-only-login', async () => 'logged in').catch(sqlState);
    expect(login).toBe('28P01');
  });

  it('a failing run changes nothing (one transaction)', async () => {
    const before = await catalogState();
    const failing = await asMaster(async (c) => {
      const query = c.query.bind(c);
      let count = 0;
      // The 6th statement fails (as a lost connection or a revoked privilege would): the first five must roll back.
      const client = { query: (text: string) => (text !== 'BEGIN' && text !== 'ROLLBACK' && ++count === 6 ? Promise.reject(new Error('boom')) : query(text)) };
      await pg.sql('ALTER ROLE web CONNECTION LIMIT 7');
      return ensureDatabaseRole(client, spec).catch((error: Error) => error.message);
    });
    expect(failing).toBe('boom');
    const after = (await catalogState()) as { role: Array<Record<string, unknown>> };
    expect(after.role[0].rolconnlimit).toBe(7); // the ALTER ROLE inside the failed run was rolled back
    await asMaster((c) => ensureDatabaseRole(c, spec));
    expect(await catalogState()).toEqual(before);
  });
});
