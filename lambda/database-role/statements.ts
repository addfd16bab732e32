/**
 * A workload's own PostgreSQL role and its access to other workloads' schemas, as SQL that converges: running it
 * again changes nothing, and running it after the desired state changed (a grant added, removed or downgraded) or
 * after someone changed the role by hand puts the role back as described.
 * Pure (no I/O) so that infra/ can hash it (a changed statement re-runs the custom resource) and tests can read it.
 */

/** What a grant allows on another workload's schema. */
export type SchemaAccess = 'read' | 'readWrite';

export interface SchemaGrant {
  /** Another workload's schema (owned by the role of the same name). */
  readonly schema: string;
  /**
   * read: USAGE on the schema, SELECT on its tables and sequences; readWrite: also INSERT, UPDATE, DELETE on tables
   * and USAGE, SELECT, UPDATE on sequences. Never CREATE on the schema, never TRUNCATE/REFERENCES/TRIGGER.
   */
  readonly access: SchemaAccess;
}

export interface DatabaseRoleSpec {
  /** Login role of the workload, e.g. "web". */
  readonly roleName: string;
  /** The database the workload uses; the role may connect to it and no other. */
  readonly databaseName: string;
  /**
   * The role's own schema (owned by it, first on its search_path).
   * @default - no schema of its own
   */
  readonly schemaName?: string;
  /**
   * Access to other workloads' schemas, in search_path order (after the role's own schema).
   * @default - none
   */
  readonly grants?: readonly SchemaGrant[];
  /**
   * RDS IAM database authentication: the role is a member of `rds_iam` and has no password, so only an IAM token
   * signed by a principal with `rds-db:connect` on this user logs it in.
   * @default true
   */
  readonly iamAuthentication?: boolean;
  /**
   * Most concurrent sessions of the role (pods × pool size, with headroom).
   * @default 50
   */
  readonly connectionLimit?: number;
}

/** A spec that `checkDatabaseRoleSpec` accepted, with its defaults. */
export interface CheckedDatabaseRoleSpec extends DatabaseRoleSpec {
  readonly grants: readonly SchemaGrant[];
  readonly iamAuthentication: boolean;
  readonly connectionLimit: number;
}

/** The roles a login may be a member of besides nothing: only `rds_iam` (and only with IAM authentication). */
export const RDS_IAM_ROLE = 'rds_iam';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** Names no application role or schema may take: PostgreSQL's and RDS's own. */
const RESERVED = /^(pg_|rds|postgres$|public$|information_schema$)/;

export class DatabaseRoleSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseRoleSpecError';
  }
}

const ACCESS: readonly SchemaAccess[] = ['read', 'readWrite'];
const IDENTIFIER_RULE = 'a lowercase SQL identifier (a-z, 0-9, _; starts with a letter or _; at most 63 characters)';
const RESERVED_RULE = 'names starting with pg_ or rds and the names postgres, public, information_schema are reserved';

function checkIdentifier(field: string, value: unknown, reservable: boolean): void {
  if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
    throw new DatabaseRoleSpecError(`${field} is ${JSON.stringify(value)}; allowed: ${IDENTIFIER_RULE}`);
  }
  if (reservable && RESERVED.test(value)) throw new DatabaseRoleSpecError(`${field} is ${JSON.stringify(value)}; ${RESERVED_RULE}`);
}

function checkGrants(spec: DatabaseRoleSpec): readonly SchemaGrant[] {
  const grants: unknown = spec.grants ?? [];
  if (!Array.isArray(grants)) throw new DatabaseRoleSpecError(`grants is ${JSON.stringify(grants)}; allowed: a list of { schema, access }`);
  const seen = new Map<string, number>();
  grants.forEach((grant: unknown, index) => {
    const field = `grants[${index}]`;
    if (typeof grant !== 'object' || grant === null || Array.isArray(grant)) {
      throw new DatabaseRoleSpecError(`${field} is ${JSON.stringify(grant)}; allowed: { schema, access }`);
    }
    const unknown = Object.keys(grant).filter((key) => key !== 'schema' && key !== 'access');
    if (unknown.length > 0) throw new DatabaseRoleSpecError(`${field} has unknown key ${JSON.stringify(unknown[0])}; allowed: schema, access`);
    const { schema, access } = grant as SchemaGrant;
    checkIdentifier(`${field}.schema`, schema, true);
    if (!ACCESS.includes(access)) throw new DatabaseRoleSpecError(`${field}.access is ${JSON.stringify(access)}; allowed: ${ACCESS.map((a) => `"${a}"`).join(' or ')}`);
    if (schema === spec.schemaName) {
      throw new DatabaseRoleSpecError(`${field}.schema is "${schema}", the role's own schema (schemaName); allowed: other workloads' schemas (the role owns its own)`);
    }
    if (schema === spec.roleName) {
      throw new DatabaseRoleSpecError(
        `${field}.schema is "${schema}", the role's own name; allowed: schemas of other workloads (the owner of a granted schema is the role named like it)`,
      );
    }
    const first = seen.get(schema);
    if (first !== undefined) throw new DatabaseRoleSpecError(`${field}.schema "${schema}" is already granted by grants[${first}]; allowed: one grant per schema`);
    seen.set(schema, index);
  });
  return grants as readonly SchemaGrant[];
}

/** Checks a spec, naming the bad field, its value and what is allowed. Returns the spec with its defaults. */
export function checkDatabaseRoleSpec(spec: DatabaseRoleSpec): CheckedDatabaseRoleSpec {
  checkIdentifier('roleName', spec.roleName, true);
  checkIdentifier('databaseName', spec.databaseName, false);
  if (spec.schemaName !== undefined) checkIdentifier('schemaName', spec.schemaName, true);
  const grants = checkGrants(spec);
  if (spec.schemaName === undefined && grants.length === 0) {
    throw new DatabaseRoleSpecError(`role "${spec.roleName}" has neither schemaName nor grants; allowed: a schema of its own, grants on other workloads' schemas, or both`);
  }
  const connectionLimit = spec.connectionLimit ?? 50;
  if (!Number.isInteger(connectionLimit) || connectionLimit < 1 || connectionLimit > 10_000) {
    throw new DatabaseRoleSpecError(`connectionLimit is ${JSON.stringify(spec.connectionLimit)}; allowed: an integer from 1 to 10000`);
  }
  return { ...spec, grants, iamAuthentication: spec.iamAuthentication ?? true, connectionLimit };
}

/** Quotes an identifier that `checkDatabaseRoleSpec` accepted (no quote can occur in it; quoting keeps keywords safe). */
const q = (identifier: string) => `"${identifier}"`;
/** A string literal of such an identifier. */
const lit = (identifier: string) => `'${identifier}'`;

/** Privileges per access level. Never CREATE on the schema, never TRUNCATE, REFERENCES or TRIGGER. */
const PRIVILEGES: Record<SchemaAccess, { readonly tables: string; readonly sequences: string }> = {
  read: { tables: 'SELECT', sequences: 'SELECT' },
  readWrite: { tables: 'SELECT, INSERT, UPDATE, DELETE', sequences: 'USAGE, SELECT, UPDATE' },
};

/** Schemas that are never the role's business to converge: PostgreSQL's own and `public`. */
const SYSTEM_SCHEMAS = "n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT IN ('information_schema', 'public')";

/**
 * Revokes whatever the role holds on schemas it neither owns nor is granted (a grant removed from the declaration,
 * or one made by hand): on the schema, its tables, sequences and routines, and default privileges there.
 */
function revokeUndeclared(spec: CheckedDatabaseRoleSpec): string {
  const role = lit(spec.roleName);
  const kept = [spec.schemaName, ...spec.grants.map((g) => g.schema)].filter((name): name is string => name !== undefined);
  const notKept = kept.map((name) => ` AND n.nspname <> ${lit(name)}`).join('');
  const holds = (catalog: string, acl: string, namespace: string) => `EXISTS (SELECT FROM ${catalog} x, aclexplode(x.${acl}) a WHERE x.${namespace} = n.oid AND a.grantee = r.oid)`;
  return [
    `DO $$ DECLARE s record; d record; BEGIN`,
    `FOR s IN SELECT n.nspname FROM pg_catalog.pg_namespace n, pg_catalog.pg_roles r WHERE r.rolname = ${role} AND n.nspowner <> r.oid AND ${SYSTEM_SCHEMAS}${notKept}`,
    ` AND (EXISTS (SELECT FROM aclexplode(n.nspacl) a WHERE a.grantee = r.oid) OR ${holds('pg_catalog.pg_class', 'relacl', 'relnamespace')} OR ${holds('pg_catalog.pg_proc', 'proacl', 'pronamespace')} OR ${holds('pg_catalog.pg_default_acl', 'defaclacl', 'defaclnamespace')})`,
    ` ORDER BY 1 LOOP`,
    `EXECUTE format('REVOKE ALL ON SCHEMA %I FROM %I', s.nspname, ${role});`,
    `EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', s.nspname, ${role});`,
    `EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', s.nspname, ${role});`,
    `EXECUTE format('REVOKE ALL ON ALL ROUTINES IN SCHEMA %I FROM %I', s.nspname, ${role});`,
    `FOR d IN SELECT x.defaclrole::regrole::text AS owner, CASE x.defaclobjtype WHEN 'r' THEN 'TABLES' WHEN 'S' THEN 'SEQUENCES' WHEN 'f' THEN 'FUNCTIONS' WHEN 'T' THEN 'TYPES' END AS kind`,
    ` FROM pg_catalog.pg_default_acl x, pg_catalog.pg_namespace n WHERE n.nspname = s.nspname AND x.defaclnamespace = n.oid AND x.defaclobjtype IN ('r', 'S', 'f', 'T') LOOP`,
    `EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE %s IN SCHEMA %I REVOKE ALL ON %s FROM %I', d.owner, s.nspname, d.kind, ${role});`,
    `END LOOP; END LOOP; END $$`,
  ].join(' ');
}

/**
 * One granted schema, revoked then granted again so that a downgrade (readWrite → read) or a privilege added by
 * hand converges: on its tables and sequences now, and as default privileges for those its owner creates later.
 * The owner (the role named like the schema) must exist first: the infra creates owners' roles before their readers'.
 */
function grantStatements(roleName: string, grant: SchemaGrant): string[] {
  const role = q(roleName);
  const schema = q(grant.schema);
  const owner = q(grant.schema);
  const name = lit(grant.schema);
  const { tables, sequences } = PRIVILEGES[grant.access];
  const missing = (what: string) =>
    `RAISE EXCEPTION 'role "${roleName}" is granted ${grant.access} on schema "${grant.schema}", but ${what}: the owning workload''s database role must be created first'`;
  return [
    `DO $$ DECLARE owner text; BEGIN` +
      ` IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${name}) THEN ${missing(`role "${grant.schema}" does not exist`)}; END IF;` +
      ` SELECT nspowner::regrole::text INTO owner FROM pg_catalog.pg_namespace WHERE nspname = ${name};` +
      ` IF owner IS NULL THEN ${missing(`schema "${grant.schema}" does not exist`)}; END IF;` +
      ` IF owner <> ${name} THEN RAISE EXCEPTION 'schema "${grant.schema}" is owned by %, not by role "${grant.schema}": default privileges for the tables its workload creates cannot be granted', owner; END IF; END $$`,
    // A master that is not a superuser (RDS) grants on the owner's tables, and sets its default privileges, as a member.
    `GRANT ${owner} TO CURRENT_USER`,
    `REVOKE ALL ON SCHEMA ${schema} FROM ${role}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${role}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${role}`,
    `REVOKE ALL ON ALL ROUTINES IN SCHEMA ${schema} FROM ${role}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} REVOKE ALL ON TABLES FROM ${role}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} REVOKE ALL ON SEQUENCES FROM ${role}`,
    `GRANT USAGE ON SCHEMA ${schema} TO ${role}`,
    `GRANT ${tables} ON ALL TABLES IN SCHEMA ${schema} TO ${role}`,
    `GRANT ${sequences} ON ALL SEQUENCES IN SCHEMA ${schema} TO ${role}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT ${tables} ON TABLES TO ${role}`,
    `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA ${schema} GRANT ${sequences} ON SEQUENCES TO ${role}`,
  ];
}

/**
 * The statements, in order, to run as the master user on `databaseName`, in one transaction. Each one is idempotent
 * on its own. The role gets exactly: LOGIN, CONNECT and TEMPORARY on its database, ownership of its own schema if it
 * has one (so it can run its own migrations there), the declared access to other workloads' schemas, and
 * membership in rds_iam when IAM authentication is on. Never SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or
 * BYPASSRLS, no other membership, no password under IAM authentication, nothing on schemas it was not granted.
 */
export function databaseRoleStatements(input: DatabaseRoleSpec): string[] {
  const spec = checkDatabaseRoleSpec(input);
  const role = q(spec.roleName);
  const database = q(spec.databaseName);
  const keep = spec.iamAuthentication ? [RDS_IAM_ROLE] : [];
  const ownSchema = spec.schemaName === undefined ? [] : [spec.schemaName];
  const searchPath = [...ownSchema, ...spec.grants.map((g) => g.schema)];
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${lit(spec.roleName)}) THEN CREATE ROLE ${role}; END IF; END $$`,
    // Only a superuser may even state SUPERUSER, REPLICATION or BYPASSRLS (or alter a role that has them), and RDS's
    // master is not one (it has CREATEROLE and rds_superuser): it checks them, a superuser (self-managed) resets them.
    `DO $$ BEGIN IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN ALTER ROLE ${role} WITH NOSUPERUSER NOREPLICATION NOBYPASSRLS;` +
      ` ELSIF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${lit(spec.roleName)} AND (rolsuper OR rolreplication OR rolbypassrls)) THEN` +
      ` RAISE EXCEPTION 'role "${spec.roleName}" has SUPERUSER, REPLICATION or BYPASSRLS, which only a superuser can take away'; END IF; END $$`,
    // Every attribute stated, so a role changed by hand is put back. PASSWORD NULL under IAM: no password login at all.
    `ALTER ROLE ${role} WITH LOGIN NOCREATEDB NOCREATEROLE INHERIT CONNECTION LIMIT ${spec.connectionLimit}${spec.iamAuthentication ? ' PASSWORD NULL' : ''}`,
    // Memberships other than the wanted ones are revoked (a role granted by hand would lend its privileges).
    `DO $$ DECLARE granted record; BEGIN FOR granted IN SELECT r.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r ON r.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE u.rolname = ${lit(spec.roleName)}${keep.map((k) => ` AND r.rolname <> ${lit(k)}`).join('')} LOOP EXECUTE format('REVOKE %I FROM %I', granted.rolname, ${lit(spec.roleName)}); END LOOP; END $$`,
    ...keep.map((k) => `GRANT ${q(k)} TO ${role}`),
    // Only its own database: PUBLIC loses CONNECT and TEMPORARY here, the role gets them explicitly.
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
    `REVOKE ALL ON DATABASE ${database} FROM ${role}`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`,
    // Nobody but owners creates objects in public (PostgreSQL 15+ default, stated for older servers and drift).
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
    ...ownSchema.flatMap((name) => [
      // A master that is not a superuser (RDS) must be a member of a role to give it a schema.
      `GRANT ${role} TO CURRENT_USER`,
      `CREATE SCHEMA IF NOT EXISTS ${q(name)} AUTHORIZATION ${role}`,
      `ALTER SCHEMA ${q(name)} OWNER TO ${role}`,
      `REVOKE ALL ON SCHEMA ${q(name)} FROM PUBLIC`,
    ]),
    revokeUndeclared(spec),
    ...spec.grants.flatMap((grant) => grantStatements(spec.roleName, grant)),
    `ALTER ROLE ${role} IN DATABASE ${database} SET search_path = ${searchPath.map(q).join(', ')}`,
  ];
}
