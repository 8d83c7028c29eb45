/**
 * Opens the shared mode of SESSION_STATE_URL: one PostgreSQL pool for the session files and their
 * leases, with the deployment's schema (STORE_NAMESPACE) made on first use.
 */
import os from 'node:os';
import { StoreCalls } from '../../infra/store-calls.js';
import { newPostgresPool, schemaFor, setUpSchema } from '../../infra/postgres.js';
import { withDeadline } from '../../infra/deadline.js';
import type { SessionId } from '../../domain.js';
import { PostgresLeases } from '../locks/postgres-leases.js';
import { PostgresSessions } from './postgres-sessions.js';

export interface SharedState {
  sessions: PostgresSessions;
  lock: PostgresLeases;
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface SharedStateOptions {
  url: string;
  namespace: string;
  timeoutMs: number;
  leaseMs: number;
  /** Names this process in leases. */
  role: string;
  onWriteFailed?: (id: SessionId, err: Error) => void;
}

export const SESSION_STATE_SETTING = 'SESSION_STATE_URL';

export async function openSharedState(options: SharedStateOptions): Promise<SharedState> {
  const calls = new StoreCalls(options.url, options.timeoutMs, SESSION_STATE_SETTING);
  const pool = newPostgresPool(options.url, options.timeoutMs);
  const schema = schemaFor(options.namespace);
  try {
    await calls.run('open', () =>
      setUpSchema(pool, `copilot-threads:${schema}`, [`CREATE SCHEMA IF NOT EXISTS ${schema}`, ...PostgresLeases.schema(schema), ...PostgresSessions.schema(schema)]),
    );
  } catch (err) {
    await withDeadline(pool.end(), 2000, 'pool close').catch(() => undefined);
    throw err;
  }
  const lock = new PostgresLeases({ pool, calls, schema, owner: `${options.role} pid ${process.pid} on ${os.hostname()}`, ttlMs: options.leaseMs });
  const sessions = new PostgresSessions({ pool, calls, schema, leases: lock, onWriteFailed: options.onWriteFailed });
  return {
    sessions,
    lock,
    ping: (ms) => new StoreCalls(options.url, ms, SESSION_STATE_SETTING).run('ping', () => pool.query('SELECT 1')).then(() => undefined),
    close: () => pool.end(),
  };
}
