/**
 * The database-role bootstrap against a real PostgreSQL (Debian's packages, started in a temp dir, as the sample
 * service's tests do). `rds_iam` is created as RDS has it (a NOLOGIN role), since plain PostgreSQL lacks it. The
 * bootstrap logs in as RDS's master user is made: `master`, LOGIN CREATEROLE CREATEDB and not a superuser, owner of
 * the application database it created; the test's own superuser only inspects the catalog and makes drift by hand.
 *
 * Shows: the role is created; a second run changes nothing in the catalog; a changed spec and hand-made drift are
 * converged; the role works in its own schema and cannot create roles, read other schemas, create in public,
 * drop the database or log in with a password under IAM authentication; a failing run leaves nothing half-applied.
 * Grants on another workload's schema: read and readWrite apply to tables made before and after the grant, never
 * allow CREATE, DROP or TRUNCATE; removing or downgrading a grant (a re-run with the new declaration) takes the access
 * away; an owner that does not exist yet is a clear error.
 */
import { Client } from 'pg';
import { ensureDatabaseRole } from '../../lambda/database-role/role';
import { specOf, type DatabaseRoleProperties } from '../../lambda/database-role/index';
import { databaseRoleStatements, DatabaseRoleSpecError, type DatabaseRoleSpec } from '../../lambda/database-role/statements';
import { literal, startPostgres, type Postgres } from '../app/postgres';

jest.setTimeout(30_000);

const DATABASE = 'app';
const spec: DatabaseRoleSpec = { roleName: 'web', databaseName: DATABASE, schemaName: 'web', iamAuthentication: true, connectionLimit: 50 };
let pg: Postgres;

/** Runs on the application database as the master user (what the Lambda connects as: not a superuser on RDS). */
async function asMaster<T>(work: (client: Client) => Promise<T>, user = 'master'): Promise<T> {
  const client = new Client({ host: '127.0.0.1', port: pg.port, user, password: 'master-password', database: DATABASE });
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

/** Runs on the application database as the test's superuser (reads pg_authid, makes drift a master could not). */
const asSuperuser = <T>(work: (client: Client) => Promise<T>): Promise<T> => asMaster(work, 'postgres');

/** Everything the bootstrap decides about the role, as the catalog shows it. */
async function catalogState(): Promise<unknown> {
  return asSuperuser(async (c) => {
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
  // RDS's master: CREATE ROLE postgres WITH LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE (RDS documentation).
  await pg.sql(`CREATE ROLE master WITH LOGIN NOSUPERUSER INHERIT CREATEDB CREATEROLE PASSWORD ${literal('master-password')}`);
  await pg.sql('CREATE ROLE rds_iam NOLOGIN');
  const master = new Client({ host: '127.0.0.1', port: pg.port, user: 'master', password: 'master-password', database: 'postgres' });
  await master.connect();
  await master.query(`CREATE DATABASE ${DATABASE}`);
  await master.end();
  // Data the application must not see: another schema and a table in public, both the master's.
  await asMaster((c) =>
    c.query("CREATE SCHEMA billing; CREATE TABLE billing.cards (number text); INSERT INTO billing.cards VALUES ('4111'); CREATE TABLE public.admin_notes (note text)"),
  );
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

  const worker: DatabaseRoleSpec = { roleName: 'worker', databaseName: DATABASE, grants: [{ schema: 'web', access: 'readWrite' }] };
  const refusal = (input: DatabaseRoleSpec) => {
    try {
      databaseRoleStatements(input);
    } catch (error) {
      expect(error).toBeInstanceOf(DatabaseRoleSpecError);
      return (error as Error).message;
    }
    throw new Error('expected the spec to be refused');
  };

  it('refuses a role with neither its own schema nor grants', () => {
    expect(refusal({ roleName: 'idle', databaseName: DATABASE })).toBe(
      `role "idle" has neither schemaName nor grants; allowed: a schema of its own, grants on other workloads' schemas, or both`,
    );
    expect(refusal({ roleName: 'idle', databaseName: DATABASE, grants: [] })).toMatch(/^role "idle" has neither schemaName nor grants/);
  });

  it("refuses a grant on the role's own schema", () => {
    expect(refusal({ ...spec, grants: [{ schema: 'web', access: 'read' }] })).toBe(
      `grants[0].schema is "web", the role's own schema (schemaName); allowed: other workloads' schemas (the role owns its own)`,
    );
  });

  it('refuses a grant on a schema named like the role itself (its owner would be the role)', () => {
    expect(refusal({ ...worker, grants: [{ schema: 'worker', access: 'read' }] })).toBe(
      `grants[0].schema is "worker", the role's own name; allowed: schemas of other workloads (the owner of a granted schema is the role named like it)`,
    );
  });

  it('refuses the same schema granted twice', () => {
    expect(
      refusal({
        ...worker,
        grants: [
          { schema: 'web', access: 'read' },
          { schema: 'orders', access: 'read' },
          { schema: 'web', access: 'readWrite' },
        ],
      }),
    ).toBe('grants[2].schema "web" is already granted by grants[0]; allowed: one grant per schema');
  });

  it('refuses an access level other than read or readWrite', () => {
    expect(refusal({ ...worker, grants: [{ schema: 'web', access: 'write' as never }] })).toBe('grants[0].access is "write"; allowed: "read" or "readWrite"');
  });

  it('refuses a granted schema that is not a plain lowercase name, or is reserved', () => {
    expect(refusal({ ...worker, grants: [{ schema: 'Web', access: 'read' }] })).toMatch(/^grants\[0\]\.schema is "Web"; allowed: a lowercase SQL identifier/);
    expect(refusal({ ...worker, grants: [{ schema: 'web"; DROP TABLE x; --', access: 'read' }] })).toMatch(/^grants\[0\]\.schema is "web\\"; DROP TABLE x; --"; allowed/);
    expect(refusal({ ...worker, grants: [{ schema: 'pg_catalog', access: 'read' }] })).toMatch(/^grants\[0\]\.schema is "pg_catalog"; .*reserved/);
    expect(refusal({ ...worker, grants: [{ schema: 'public', access: 'read' }] })).toMatch(/^grants\[0\]\.schema is "public"; .*reserved/);
  });

  it('refuses a grant that is not { schema, access }', () => {
    expect(refusal({ ...worker, grants: ['web' as never] })).toBe('grants[0] is "web"; allowed: { schema, access }');
    expect(refusal({ ...worker, grants: [{ schema: 'web', access: 'read', privileges: 'ALL' } as never] })).toBe('grants[0] has unknown key "privileges"; allowed: schema, access');
    expect(refusal({ ...worker, grants: 'web' as never })).toBe('grants is "web"; allowed: a list of { schema, access }');
  });

  it('refuses an own schema that is not a plain lowercase name', () => {
    expect(refusal({ ...worker, schemaName: 'Worker' })).toMatch(/^schemaName is "Worker"; allowed: a lowercase SQL identifier/);
  });

  it('puts the own schema first on the search_path, then the granted ones in order; none of its own: the granted ones only', () => {
    const searchPath = (input: DatabaseRoleSpec) => databaseRoleStatements(input).filter((statement) => statement.includes('SET search_path'));
    expect(
      searchPath({
        ...spec,
        grants: [
          { schema: 'orders', access: 'read' },
          { schema: 'billing', access: 'readWrite' },
        ],
      }),
    ).toEqual(['ALTER ROLE "web" IN DATABASE "app" SET search_path = "web", "orders", "billing"']);
    expect(searchPath(worker)).toEqual(['ALTER ROLE "worker" IN DATABASE "app" SET search_path = "web"']);
  });
});

describe('specOf (the custom resource properties)', () => {
  const properties: DatabaseRoleProperties = {
    SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:master',
    Host: 'db.example',
    Port: '5432',
    RoleName: 'worker',
    DatabaseName: DATABASE,
    SchemaName: '',
    Grants: '[{"schema":"web","access":"readWrite"}]',
    IamAuthentication: 'true',
    ConnectionLimit: '20',
  };

  it('reads the grants and an empty SchemaName as "no schema of its own"', () => {
    expect(specOf(properties)).toEqual({
      roleName: 'worker',
      databaseName: DATABASE,
      schemaName: undefined,
      grants: [{ schema: 'web', access: 'readWrite' }],
      iamAuthentication: true,
      connectionLimit: 20,
    });
  });

  it('reads properties written before grants existed (no Grants) as no grants', () => {
    const { Grants: _, ...old } = properties;
    expect(specOf({ ...old, RoleName: 'web', SchemaName: 'web' })).toMatchObject({ roleName: 'web', schemaName: 'web', grants: [] });
  });

  it('fails when Grants is not a JSON array, naming the value and the expected shape', () => {
    const expected = 'allowed: a JSON array of {"schema": "<name>", "access": "read" | "readWrite"}';
    expect(() => specOf({ ...properties, Grants: '[{"schema":"web"' })).toThrow(`Grants is "[{\\"schema\\":\\"web\\""; ${expected}`);
    expect(() => specOf({ ...properties, Grants: '{"schema":"web","access":"read"}' })).toThrow(/^Grants is .*; allowed: a JSON array/);
    expect(() => specOf({ ...properties, Grants: '[{"schema":"web","access":"all"}]' })).toThrow('grants[0].access is "all"; allowed: "read" or "readWrite"');
  });

  it('fails when the role has neither SchemaName nor Grants', () => {
    expect(() => specOf({ ...properties, Grants: '[]' })).toThrow(/^role "worker" has neither schemaName nor grants/);
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
      database: [{ acl: ['master=CTc/master', 'web=Tc/master'] }],
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
    expect(state.database).toEqual([{ acl: ['master=CTc/master', 'web=Tc/master'] }]);
    await asMaster((c) => ensureDatabaseRole(c, spec));
  });

  it('fails when a superuser gave the role SUPERUSER, REPLICATION or BYPASSRLS by hand (only a superuser can take them away); a superuser run does', async () => {
    await pg.sql('ALTER ROLE web BYPASSRLS REPLICATION');
    const error = await asMaster((c) => ensureDatabaseRole(c, spec)).catch((e: Error) => e.message);
    expect(error).toBe('role "web" has SUPERUSER, REPLICATION or BYPASSRLS, which only a superuser can take away');
    await asSuperuser((c) => ensureDatabaseRole(c, spec)); // a self-managed server's master
    expect(((await catalogState()) as { role: Array<Record<string, unknown>> }).role[0]).toMatchObject({ rolbypassrls: false, rolreplication: false, rolsuper: false });
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

describe('grants on another workload’s schema, on a real PostgreSQL', () => {
  /** The owning workload (its own schema), a reader with a schema of its own, and a writer without one. */
  const owner: DatabaseRoleSpec = { roleName: 'orders', databaseName: DATABASE, schemaName: 'orders', iamAuthentication: false };
  const reader: DatabaseRoleSpec = { roleName: 'reports', databaseName: DATABASE, schemaName: 'reports', grants: [{ schema: 'orders', access: 'read' }], iamAuthentication: false };
  const writer: DatabaseRoleSpec = { roleName: 'fulfil', databaseName: DATABASE, grants: [{ schema: 'orders', access: 'readWrite' }], iamAuthentication: false };
  const PASSWORD = 'test-only-login';

  async function as<T>(user: string, work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ host: '127.0.0.1', port: pg.port, user, password: PASSWORD, database: DATABASE });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }
  /** 'allowed', or the SQLSTATE it was refused with. */
  const attempt = (client: Client, text: string) => client.query(text).then(() => 'allowed', sqlState);
  const converge = (input: DatabaseRoleSpec) => asMaster((c) => ensureDatabaseRole(c, input));
  /** What a role may do on a table, as PostgreSQL's privilege functions say. */
  const privileges = (role: string, table: string) =>
    asMaster(async (c) =>
      (
        await c.query(`SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER']) p WHERE has_table_privilege($1, $2, p) ORDER BY 1`, [
          role,
          table,
        ])
      ).rows.map((row: { p: string }) => row.p),
    );
  /** Runs a query on the application database as the master, for its rows. */
  const inApp = (text: string) => asMaster(async (c) => (await c.query(text)).rows);

  beforeAll(async () => {
    for (const role of [owner, reader, writer]) {
      await converge(role);
      await pg.sql(`ALTER ROLE ${role.roleName} PASSWORD ${literal(PASSWORD)}`);
    }
    // Created by the owning workload itself (its migrations), like the sample's work_items table.
    await as('orders', (c) => c.query("CREATE TABLE before_grant (id bigserial PRIMARY KEY, note text); INSERT INTO before_grant (note) VALUES ('old')"));
  });

  it('fails with a clear error when the owner of a granted schema does not exist yet, applying nothing', async () => {
    const orphan: DatabaseRoleSpec = { roleName: 'early', databaseName: DATABASE, grants: [{ schema: 'later', access: 'read' }], iamAuthentication: false };
    const error = await converge(orphan).catch((e: Error) => e.message);
    expect(error).toBe(`role "early" is granted read on schema "later", but role "later" does not exist: the owning workload's database role must be created first`);
    expect(await pg.sql("SELECT 1 FROM pg_roles WHERE rolname = 'early'")).toEqual([]); // rolled back
    await pg.sql('CREATE ROLE later NOLOGIN');
    const noSchema = await converge(orphan).catch((e: Error) => e.message);
    expect(noSchema).toBe(`role "early" is granted read on schema "later", but schema "later" does not exist: the owning workload's database role must be created first`);
    await pg.sql('DROP ROLE later');
  });

  it('read: SELECT on tables made before and after the grant; no INSERT, UPDATE, DELETE, CREATE, DROP or TRUNCATE', async () => {
    await converge(reader);
    await converge(writer);
    await as('orders', (c) => c.query("CREATE TABLE after_grant (id bigserial PRIMARY KEY, note text); INSERT INTO after_grant (note) VALUES ('new')"));
    await as('reports', async (c) => {
      expect((await c.query('SHOW search_path')).rows).toEqual([{ search_path: 'reports, orders' }]);
      expect((await c.query('SELECT note FROM before_grant')).rows).toEqual([{ note: 'old' }]); // through search_path
      expect((await c.query('SELECT note FROM orders.after_grant')).rows).toEqual([{ note: 'new' }]);
      for (const table of ['orders.before_grant', 'orders.after_grant']) {
        expect(await attempt(c, `INSERT INTO ${table} (note) VALUES ('x')`)).toBe('42501');
        expect(await attempt(c, `UPDATE ${table} SET note = 'x'`)).toBe('42501');
        expect(await attempt(c, `DELETE FROM ${table}`)).toBe('42501');
        expect(await attempt(c, `TRUNCATE ${table}`)).toBe('42501');
        expect(await attempt(c, `DROP TABLE ${table}`)).toBe('42501');
      }
      expect(await attempt(c, "SELECT nextval('orders.after_grant_id_seq')")).toBe('42501');
      expect(await attempt(c, 'CREATE TABLE orders.mine (x int)')).toBe('42501');
      expect(await attempt(c, 'CREATE TABLE reports.mine (x int)')).toBe('allowed'); // its own schema
    });
    expect(await privileges('reports', 'orders.after_grant')).toEqual(['SELECT']);
  });

  it('readWrite (a role without a schema of its own): INSERT, UPDATE, DELETE on old and new tables; no CREATE, DROP or TRUNCATE', async () => {
    await as('fulfil', async (c) => {
      expect((await c.query('SHOW search_path')).rows).toEqual([{ search_path: 'orders' }]);
      for (const table of ['before_grant', 'after_grant']) {
        await c.query(`INSERT INTO ${table} (note) VALUES ('by fulfil')`); // nextval on the owner's sequence
        expect((await c.query(`UPDATE ${table} SET note = 'updated' WHERE note = 'by fulfil'`)).rowCount).toBe(1);
        expect((await c.query(`DELETE FROM ${table} WHERE note = 'updated'`)).rowCount).toBe(1);
        expect(await attempt(c, `TRUNCATE ${table}`)).toBe('42501');
        expect(await attempt(c, `DROP TABLE ${table}`)).toBe('42501');
        expect(await attempt(c, `ALTER TABLE ${table} ADD COLUMN x int`)).toBe('42501');
      }
      expect(await attempt(c, 'CREATE TABLE orders.mine (x int)')).toBe('42501');
      expect(await attempt(c, 'CREATE TABLE mine (x int)')).toBe('42501'); // nowhere to create (public is closed)
      expect(await attempt(c, 'SELECT * FROM billing.cards')).toBe('42501');
    });
    expect(await privileges('fulfil', 'orders.after_grant')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
  });

  it('is idempotent and undoes privileges added by hand on granted and other schemas', async () => {
    const acls = () => inApp("SELECT c.relname, c.relacl::text[] AS acl FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'orders' ORDER BY 1");
    const before = await acls();
    await converge(writer);
    expect(await acls()).toEqual(before);
    await asMaster((c) => c.query('GRANT TRUNCATE, TRIGGER ON orders.before_grant TO fulfil; GRANT CREATE ON SCHEMA orders TO fulfil; GRANT SELECT ON billing.cards TO fulfil'));
    await asMaster((c) => c.query('ALTER DEFAULT PRIVILEGES FOR ROLE master IN SCHEMA billing GRANT SELECT ON TABLES TO fulfil'));
    await converge(writer);
    expect(await privileges('fulfil', 'orders.before_grant')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    expect(await inApp("SELECT has_schema_privilege('fulfil', 'orders', 'CREATE') AS create")).toEqual([{ create: false }]);
    await asMaster((c) => c.query('CREATE TABLE billing.later (x int)'));
    expect(await privileges('fulfil', 'billing.cards')).toEqual([]);
    expect(await privileges('fulfil', 'billing.later')).toEqual([]); // the default privilege made by hand is gone too
    expect(await acls()).toEqual(before);
  });

  it('a downgrade (readWrite → read) takes writing away on old and new tables', async () => {
    await converge({ ...writer, grants: [{ schema: 'orders', access: 'read' }] });
    await as('orders', (c) => c.query('CREATE TABLE after_downgrade (id bigserial PRIMARY KEY, note text)'));
    for (const table of ['orders.before_grant', 'orders.after_grant', 'orders.after_downgrade']) expect(await privileges('fulfil', table)).toEqual(['SELECT']);
    await as('fulfil', async (c) => expect(await attempt(c, "INSERT INTO before_grant (note) VALUES ('x')")).toBe('42501'));
    await converge(writer); // back to the declaration the other tests use
  });

  it('a grant removed from the declaration: no access left, to old tables or to those made afterwards', async () => {
    await converge({ ...reader, grants: [] });
    await as('orders', (c) => c.query('CREATE TABLE after_revoke (id int)'));
    await as('reports', async (c) => {
      expect((await c.query('SHOW search_path')).rows).toEqual([{ search_path: 'reports' }]);
      for (const table of ['orders.before_grant', 'orders.after_grant', 'orders.after_revoke']) expect(await attempt(c, `SELECT * FROM ${table}`)).toBe('42501');
    });
    expect(await inApp("SELECT has_schema_privilege('reports', 'orders', 'USAGE') AS usage")).toEqual([{ usage: false }]);
    expect(await inApp("SELECT defaclacl::text FROM pg_default_acl WHERE defaclacl::text LIKE '%reports=%'")).toEqual([]);
    // The writer's grant is untouched by the reader's change; the owner's own schema is untouched by both.
    expect(await privileges('fulfil', 'orders.after_revoke')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
    await as('orders', async (c) => expect(await attempt(c, 'DROP TABLE after_revoke')).toBe('allowed'));
  });
});
