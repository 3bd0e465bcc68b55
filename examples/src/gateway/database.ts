// A deliberately slow "database": every query takes `latencyMs`, and the number of queries is
// what the cache in front of it is meant to keep down. Connections come from a pool, as they
// would for a real driver, so the pool's limit is also the database's concurrency limit.
import { createPool, type Pool } from '@bulwark/pool';

/** One (simulated) connection. */
export interface DbConnection {
  readonly id: number;
  /** A product row, after `latencyMs`. */
  product(id: number): Promise<{ id: number; name: string; price: number }>;
}

/** The database and the pool in front of it. */
export interface Database {
  readonly pool: Pool<DbConnection>;
  /** Queries run so far. */
  queries: number;
  /** Queries per product id: a stampede shows up as many for one id at once. */
  readonly queriesById: Map<number, number>;
}

/** Opens a pool of `connections` to a database whose queries take `latencyMs`. */
export function openDatabase(latencyMs: number, connections: number): Database {
  let opened = 0;
  const db: Database = {
    queries: 0,
    queriesById: new Map(),
    pool: createPool<DbConnection>({
      create: () => ({
        id: ++opened,
        product: (id) => {
          db.queries++;
          db.queriesById.set(id, (db.queriesById.get(id) ?? 0) + 1);
          return new Promise((resolve) =>
            setTimeout(
              () => resolve({ id, name: `product ${id}`, price: 100 + (id % 50) }),
              latencyMs,
            ),
          );
        },
      }),
      destroy: () => {},
      max: connections,
      acquireTimeoutMs: 2000,
      leakDetectionMs: 10_000,
    }),
  };
  return db;
}
