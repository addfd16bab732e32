/**
 * Custom resource handler (aws-cdk-lib's Provider framework calls it with the CloudFormation event): creates the
 * application's own PostgreSQL role and keeps it as configured, connecting as the master user whose secret only
 * this function's role may read. Runs in the VPC at `cdk deploy`, never inside the cluster.
 *
 * Create and Update converge the role (statements.ts); Delete keeps it: the database (and whatever the role owns)
 * outlives the resource, and a running release must not lose its login because a stack update replaced it.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';
import { ensureDatabaseRole } from './role';
import { checkDatabaseRoleSpec, type DatabaseRoleSpec } from './statements';

export interface DatabaseRoleProperties {
  readonly SecretArn: string;
  readonly Host: string;
  readonly Port: string;
  readonly RoleName: string;
  readonly DatabaseName: string;
  readonly SchemaName: string;
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

export function specOf(properties: DatabaseRoleProperties): DatabaseRoleSpec {
  return checkDatabaseRoleSpec({
    roleName: properties.RoleName,
    databaseName: properties.DatabaseName,
    schemaName: properties.SchemaName,
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
    console.log(JSON.stringify({ msg: 'database role converged', role: spec.roleName, database: spec.databaseName, schema: spec.schemaName, statements }));
  } finally {
    await client.end().catch(() => undefined);
  }
  return { PhysicalResourceId: physicalId, Data: { RoleName: spec.roleName } };
}
