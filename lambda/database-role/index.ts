/**
 * Custom resource handler (aws-cdk-lib's Provider framework calls it with the CloudFormation event): creates a
 * workload's own PostgreSQL role (with its grants on other workloads' schemas) and keeps it as configured,
 * connecting as the master user whose secret only this function's role may read. Runs in the VPC at `cdk deploy`, never inside the cluster.
 *
 * Create and Update converge the role (statements.ts); Delete keeps it: the database (and whatever the role owns)
 * outlives the resource, and a running release must not lose its login because a stack update replaced it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { ensureDatabaseRole } from './role';
import { checkDatabaseRoleSpec, DatabaseRoleSpecError, type DatabaseRoleSpec, type SchemaGrant } from './statements';

export interface DatabaseRoleProperties {
  readonly SecretArn: string;
  readonly Host: string;
  readonly Port: string;
  readonly RoleName: string;
  readonly DatabaseName: string;
  /** The role's own schema; "" (or absent) when it has none. */
  readonly SchemaName?: string;
  /** JSON of the role's `SchemaGrant[]`; "[]" (or absent, as in resources created before grants existed) when none. */
  readonly Grants?: string;
  readonly IamAuthentication: string;
  readonly ConnectionLimit: string;
  /** Hash of the statements: a changed statement is a changed property, so CloudFormation sends an Update. */
  readonly StatementsHash?: string;
}

export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: DatabaseRoleProperties & { ServiceToken?: string };
}

/** The Grants property as a list; its elements are checked by `checkDatabaseRoleSpec`. */
function grantsOf(text: string | undefined): SchemaGrant[] {
  if (text === undefined || text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed)) {
    throw new DatabaseRoleSpecError(`Grants is ${JSON.stringify(text.slice(0, 200))}; allowed: a JSON array of {"schema": "<name>", "access": "read" | "readWrite"}`);
  }
  return parsed as SchemaGrant[];
}

export function specOf(properties: DatabaseRoleProperties): DatabaseRoleSpec {
  return checkDatabaseRoleSpec({
    roleName: properties.RoleName,
    databaseName: properties.DatabaseName,
    schemaName: properties.SchemaName === undefined || properties.SchemaName === '' ? undefined : properties.SchemaName,
    grants: grantsOf(properties.Grants),
    iamAuthentication: properties.IamAuthentication === 'true',
    connectionLimit: Number(properties.ConnectionLimit),
  });
}

const secrets = new SecretsManagerClient({});

export async function handler(event: CustomResourceEvent): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> {
  const properties = event.ResourceProperties;
  const spec = specOf(properties);
  const physicalId = `${properties.DatabaseName}/${spec.roleName}`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId ?? physicalId };

  // Read at every run: the secret is rotated monthly.
  const value = (await secrets.send(new GetSecretValueCommand({ SecretId: properties.SecretArn }))).SecretString;
  const { username, password } = JSON.parse(value ?? '{}') as { username?: string; password?: string };
  if (!username || !password) throw new Error(`secret ${properties.SecretArn} lacks "username" and "password"`);

  const client = new Client({
    host: properties.Host,
    port: Number(properties.Port),
    database: properties.DatabaseName,
    user: username,
    password,
    // rds.force_ssl=1; the runtime's CA bundle (NODE_EXTRA_CA_CERTS) holds the RDS certificate authorities.
    ssl: { rejectUnauthorized: true, servername: properties.Host },
    connectionTimeoutMillis: 10_000,
    application_name: 'platform-database-role',
  });
  await client.connect();
  try {
    const statements = await ensureDatabaseRole(client, spec);
    console.log(
      JSON.stringify({ msg: 'database role converged', role: spec.roleName, database: spec.databaseName, schema: spec.schemaName ?? null, grants: spec.grants ?? [], statements }),
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  return { PhysicalResourceId: physicalId, Data: { RoleName: spec.roleName } };
}
