/**
 * The application's own PostgreSQL role, as SQL that converges: running it again changes nothing, and running it
 * after the desired state changed (or after someone changed the role by hand) puts the role back as described.
 * Pure (no I/O) so that infra/ can hash it (a changed statement re-runs the custom resource) and tests can read it.
 */

export interface DatabaseRoleSpec {
  /** Login role of the application, e.g. "web". */
  readonly roleName: string;
  /** The database the application uses; the role may connect to it and no other. */
  readonly databaseName: string;
  /** The application's own schema (owned by the role, first on its search_path). */
  readonly schemaName: string;
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

/** Checks a spec, naming the bad value and what is allowed. Returns the spec with its defaults. */
export function checkDatabaseRoleSpec(spec: DatabaseRoleSpec): Required<DatabaseRoleSpec> {
  for (const field of ['roleName', 'databaseName', 'schemaName'] as const) {
    const value = spec[field];
    if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
      throw new DatabaseRoleSpecError(`${field} is ${JSON.stringify(value)}; allowed: a lowercase SQL identifier (a-z, 0-9, _; starts with a letter or _; at most 63 characters)`);
    }
    if (field !== 'databaseName' && RESERVED.test(value)) {
      throw new DatabaseRoleSpecError(`${field} is ${JSON.stringify(value)}; names starting with pg_ or rds and the names postgres, public, information_schema are reserved`);
    }
  }
  const connectionLimit = spec.connectionLimit ?? 50;
  if (!Number.isInteger(connectionLimit) || connectionLimit < 1 || connectionLimit > 10_000) {
    throw new DatabaseRoleSpecError(`connectionLimit is ${JSON.stringify(spec.connectionLimit)}; allowed: an integer from 1 to 10000`);
  }
  return { ...spec, iamAuthentication: spec.iamAuthentication ?? true, connectionLimit };
}

/** Quotes an identifier that `checkDatabaseRoleSpec` accepted (no quote can occur in it; quoting keeps keywords safe). */
const q = (identifier: string) => `"${identifier}"`;
/** A string literal of such an identifier. */
const lit = (identifier: string) => `'${identifier}'`;

/**
 * The statements, in order, to run as the master user on `databaseName`. Each one is idempotent on its own.
 * The role gets exactly: LOGIN, CONNECT on its database, ownership of its schema (so it can run its own
 * migrations there), TEMPORARY, and membership in rds_iam when IAM authentication is on. Never SUPERUSER,
 * CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, no other membership, no password under IAM authentication.
 */
export function databaseRoleStatements(input: DatabaseRoleSpec): string[] {
  const spec = checkDatabaseRoleSpec(input);
  const role = q(spec.roleName);
  const database = q(spec.databaseName);
  const schema = q(spec.schemaName);
  const keep = spec.iamAuthentication ? [RDS_IAM_ROLE] : [];
  return [
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ${lit(spec.roleName)}) THEN CREATE ROLE ${role}; END IF; END $$`,
    // Every attribute stated, so a role changed by hand is put back. PASSWORD NULL under IAM: no password login at all.
    `ALTER ROLE ${role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT ${spec.connectionLimit}${spec.iamAuthentication ? ' PASSWORD NULL' : ''}`,
    // Memberships other than the wanted ones are revoked (a role granted by hand would lend its privileges).
    `DO $$ DECLARE granted record; BEGIN FOR granted IN SELECT r.rolname FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r ON r.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE u.rolname = ${lit(spec.roleName)}${keep.map((k) => ` AND r.rolname <> ${lit(k)}`).join('')} LOOP EXECUTE format('REVOKE %I FROM %I', granted.rolname, ${lit(spec.roleName)}); END LOOP; END $$`,
    ...keep.map((k) => `GRANT ${q(k)} TO ${role}`),
    // Only its own database: PUBLIC loses CONNECT and TEMPORARY here, the role gets them explicitly.
    `REVOKE ALL ON DATABASE ${database} FROM PUBLIC`,
    `REVOKE ALL ON DATABASE ${database} FROM ${role}`,
    `GRANT CONNECT, TEMPORARY ON DATABASE ${database} TO ${role}`,
    // Nobody but owners creates objects in public (PostgreSQL 15+ default, stated for older servers and drift).
    'REVOKE CREATE ON SCHEMA public FROM PUBLIC',
    `CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${role}`,
    `ALTER SCHEMA ${schema} OWNER TO ${role}`,
    `REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`,
    `ALTER ROLE ${role} IN DATABASE ${database} SET search_path = ${schema}`,
  ];
}
