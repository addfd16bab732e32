/**
 * The work queue shared by the three modes: a table in the web role's schema. The web service records items, the
 * worker claims and processes them (`FOR UPDATE SKIP LOCKED`: parallel workers never take the same item), the
 * nightly prune deletes old processed ones. Names are unqualified: each role's search_path (set by its database
 * role) leads to the web schema, which the web role owns and the others are granted.
 */
import type { Pool, PoolClient } from 'pg';

/** Largest payload accepted (bytes of UTF-8). */
export const MAX_PAYLOAD_BYTES = 1024;

/** Created by the web service at start-up (it owns its schema); the worker and prune roles may not create tables. */
export const CREATE_WORK_ITEMS = `CREATE TABLE IF NOT EXISTS work_items (
  id bigserial PRIMARY KEY,
  payload text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  processed_by text
)`;

/** The worker claims unprocessed items in id order: a partial index keeps that fast as processed items pile up. */
export const CREATE_UNPROCESSED_INDEX = 'CREATE INDEX IF NOT EXISTS work_items_unprocessed ON work_items (id) WHERE processed_at IS NULL';

/**
 * web's schema as the migration leaves it, each statement idempotent and backward compatible (the running version
 * keeps working during and after it): what `migrate` runs.
 */
export const SCHEMA_STATEMENTS: readonly string[] = [CREATE_WORK_ITEMS, CREATE_UNPROCESSED_INDEX];

/** SQLSTATE 23505 unique_violation (on pg_type), 42P07 duplicate_table: a concurrent CREATE TABLE IF NOT EXISTS won. */
const CONCURRENTLY_CREATED = new Set(['23505', '42P07']);

/** A work item as the API shows it. The id is a bigint, kept as a string (exact beyond 2^53). */
export interface WorkItem {
  readonly id: string;
  readonly createdAt: string;
  readonly processedAt: string | null;
  readonly processedBy: string | null;
}

/** A claimed item, handed to the processing step inside the claiming transaction. */
export interface ClaimedItem {
  readonly id: string;
  readonly payload: string;
}

/** Runs work with a pool (DatabaseConnection.run: re-login after a rotated credential). */
export type PoolRunner = <T>(work: (pool: Pool) => Promise<T>) => Promise<T>;

/** bigint ids as PostgreSQL accepts them: 1 … 2^63-1, digits only. */
const ID = /^[1-9]\d{0,18}$/;
const MAX_ID = 9223372036854775807n;

export function isWorkItemId(value: string): boolean {
  return ID.test(value) && BigInt(value) <= MAX_ID;
}

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

export interface WorkQueueOptions {
  /**
   * Create the table when missing, before the first use (the web service: it owns its schema). The worker's and the
   * prune job's roles may not create tables.
   * @default false
   */
  readonly createTable?: boolean;
}

export class WorkQueue {
  private table?: Promise<void>;

  constructor(
    private readonly run: PoolRunner,
    private readonly options: WorkQueueOptions = {},
  ) {}

  /** Creates the table when it is missing (once; again after a failure). */
  ensureTable(): Promise<void> {
    if (!this.table) {
      const table = this.run((pool) => pool.query(CREATE_WORK_ITEMS)).then(
        () => undefined,
        (error: unknown) => {
          // Two web pods starting together: IF NOT EXISTS is not atomic, the other one created it meanwhile.
          if (!CONCURRENTLY_CREATED.has((error as { code?: string }).code ?? '')) throw error;
        },
      );
      this.table = table;
      table.catch(() => {
        if (this.table === table) this.table = undefined;
      });
    }
    return this.table;
  }

  /** Brings the schema up to date (`SCHEMA_STATEMENTS`, in one transaction); resolves with the statements run. */
  async migrate(): Promise<number> {
    return this.run(async (pool) => {
      const client = await pool.connect();
      let broken: unknown;
      try {
        await inTransaction(client, async () => {
          for (const statement of SCHEMA_STATEMENTS) await client.query(statement);
        });
        return SCHEMA_STATEMENTS.length;
      } catch (error) {
        broken = error;
        throw error;
      } finally {
        client.release(broken instanceof Error ? broken : undefined);
      }
    });
  }

  /** Records an item; resolves with its id. */
  async add(payload: string): Promise<string> {
    if (this.options.createTable) await this.ensureTable();
    return this.run(async (pool) => {
      const result = await pool.query<{ id: string }>('INSERT INTO work_items (payload) VALUES ($1) RETURNING id', [payload]);
      return result.rows[0].id;
    });
  }

  /** The item, or undefined when there is none with this id. */
  async get(id: string): Promise<WorkItem | undefined> {
    if (!isWorkItemId(id)) return undefined;
    if (this.options.createTable) await this.ensureTable();
    return this.run(async (pool) => {
      const result = await pool.query<{ id: string; created_at: Date; processed_at: Date | null; processed_by: string | null }>(
        'SELECT id, created_at, processed_at, processed_by FROM work_items WHERE id = $1',
        [id],
      );
      const row = result.rows[0];
      return row && { id: row.id, createdAt: row.created_at.toISOString(), processedAt: iso(row.processed_at), processedBy: row.processed_by };
    });
  }

  /**
   * Claims up to `limit` unprocessed items in one transaction, hands them to `process`, marks them processed by
   * `worker` and commits. Items another transaction holds are skipped, not waited for; if `process` or the commit
   * fails, nothing is marked and the items are claimed again later. Resolves with the number processed.
   */
  async processBatch(limit: number, worker: string, process: (items: readonly ClaimedItem[]) => Promise<void> = async () => undefined): Promise<number> {
    return this.run(async (pool) => {
      const client = await pool.connect();
      let broken: unknown;
      try {
        return await inTransaction(client, async () => {
          const claimed = await client.query<ClaimedItem>('SELECT id, payload FROM work_items WHERE processed_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED LIMIT $1', [limit]);
          if (claimed.rows.length === 0) return 0;
          await process(claimed.rows);
          const ids = claimed.rows.map((item) => item.id);
          await client.query('UPDATE work_items SET processed_at = now(), processed_by = $2 WHERE id = ANY($1::bigint[])', [ids, worker]);
          return ids.length;
        });
      } catch (error) {
        broken = error;
        throw error;
      } finally {
        // A connection that failed mid-transaction is discarded rather than handed to the next caller.
        client.release(broken instanceof Error ? broken : undefined);
      }
    });
  }

  /** Deletes processed items older than `olderThanSeconds`; resolves with the number deleted. */
  async prune(olderThanSeconds: number): Promise<number> {
    return this.run(async (pool) => {
      const result = await pool.query('DELETE FROM work_items WHERE processed_at IS NOT NULL AND processed_at < now() - make_interval(secs => $1)', [olderThanSeconds]);
      return result.rowCount ?? 0;
    });
  }
}

async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
