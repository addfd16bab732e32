import { databaseRoleStatements, type DatabaseRoleSpec } from './statements';

/** The part of a pg Client this needs. */
export interface SqlClient {
  query(text: string): Promise<unknown>;
}

/**
 * Applies the role's statements in one transaction, so a failure leaves the role as it was (nothing half-applied).
 * Returns the number of statements run.
 */
export async function ensureDatabaseRole(client: SqlClient, spec: DatabaseRoleSpec): Promise<number> {
  const statements = databaseRoleStatements(spec);
  await client.query('BEGIN');
  try {
    for (const statement of statements) await client.query(statement);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return statements.length;
}
