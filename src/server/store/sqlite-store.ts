/**
 * Durable store on SQLite (better-sqlite3). Each engine operation is one transaction:
 * the run's state as JSON, its new history events as encoded protobuf, and the
 * current-run pointers. WAL with synchronous=NORMAL survives a killed process.
 */
import type Database from 'better-sqlite3';
import { ServerError } from '../../common/errors';
import { loadSqliteDriver } from './sqlite-driver';
import { decodeJson, encodeJson, HistoryEventType, type JsonEvent } from '../json-proto';
import type { ExecutionState } from '../state';
import { newTokenSecret, TOKEN_SECRET_BYTES } from '../task-token';
import type { NamespaceRecord, ReadBack, ReadBackKeys, Store, StoreBatch, StoreSnapshot } from './store';

const SCHEMA_VERSION = '1';

export class SqliteStore implements Store {
  readonly durable = true;
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly saveTx;
  private closed = false;

  constructor(readonly filename: string) {
    let opened: Database.Database | undefined;
    try {
      const Driver = loadSqliteDriver();
      this.db = opened = new Driver(filename);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS executions (run_id TEXT PRIMARY KEY, namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, state TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS events (run_id TEXT NOT NULL, event_id INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, event_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS current_runs (namespace TEXT NOT NULL, workflow_id TEXT NOT NULL, run_id TEXT NOT NULL, PRIMARY KEY (namespace, workflow_id));
      `);
      const version = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema') as { value: string } | undefined;
      if (!version) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
      else if (version.value !== SCHEMA_VERSION) {
        throw new ServerError(
          'ERR_SERVER_STORE',
          `\`--db-filename\` ${filename} has schema version ${version.value}; this server reads version ${SCHEMA_VERSION}. Use a new file.`,
        );
      }
    } catch (err) {
      if (opened?.open) opened.close();
      if (err instanceof ServerError) throw err;
      throw new ServerError('ERR_SERVER_STORE', `Could not open the database \`--db-filename\` ${filename}: ${(err as Error).message}`, { cause: err });
    }
    this.stmts = {
      putNamespace: this.db.prepare('INSERT OR REPLACE INTO namespaces (name, data) VALUES (?, ?)'),
      putExecution: this.db.prepare('INSERT OR REPLACE INTO executions (run_id, namespace, workflow_id, state) VALUES (?, ?, ?, ?)'),
      putEvent: this.db.prepare('INSERT INTO events (run_id, event_id, data) VALUES (?, ?, ?)'),
      putCurrent: this.db.prepare('INSERT OR REPLACE INTO current_runs (namespace, workflow_id, run_id) VALUES (?, ?, ?)'),
      getExecution: this.db.prepare('SELECT state FROM executions WHERE run_id = ?'),
      getCurrent: this.db.prepare('SELECT run_id AS runId FROM current_runs WHERE namespace = ? AND workflow_id = ?'),
      getNamespace: this.db.prepare('SELECT data FROM namespaces WHERE name = ?'),
      deleteExecution: this.db.prepare('DELETE FROM executions WHERE run_id = ?'),
      deleteEvents: this.db.prepare('DELETE FROM events WHERE run_id = ?'),
      deleteCurrent: this.db.prepare('DELETE FROM current_runs WHERE namespace = ? AND workflow_id = ? AND run_id = ?'),
    };
    this.saveTx = this.db.transaction((batch: StoreBatch) => {
      for (const ns of batch.namespaces) this.stmts.putNamespace.run(ns.name, JSON.stringify(ns));
      for (const { state, newEvents } of batch.executions) {
        this.stmts.putExecution.run(state.runId, state.namespace, state.workflowId, JSON.stringify(state));
        for (const e of newEvents) this.stmts.putEvent.run(state.runId, e.eventId, Buffer.from(encodeJson(HistoryEventType, e)));
      }
      for (const c of batch.currentRuns) this.stmts.putCurrent.run(c.namespace, c.workflowId, c.runId);
      for (const d of batch.deletedRuns ?? []) {
        this.stmts.deleteExecution.run(d.runId);
        this.stmts.deleteEvents.run(d.runId);
        this.stmts.deleteCurrent.run(d.namespace, d.workflowId, d.runId);
      }
    });
  }

  load(): StoreSnapshot {
    const namespaces = (this.db.prepare('SELECT data FROM namespaces').all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as NamespaceRecord);
    const eventsStmt = this.db.prepare('SELECT data FROM events WHERE run_id = ? ORDER BY event_id');
    const executions = (this.db.prepare('SELECT state FROM executions').all() as Array<{ state: string }>).map((r) => {
      const state = JSON.parse(r.state) as ExecutionState;
      const events = (eventsStmt.all(state.runId) as Array<{ data: Buffer }>).map((e) => decodeJson<JsonEvent>(HistoryEventType, e.data));
      return { state, events };
    });
    const currentRuns = this.db.prepare('SELECT namespace, workflow_id AS workflowId, run_id AS runId FROM current_runs').all() as StoreSnapshot['currentRuns'];
    return { namespaces, executions, currentRuns };
  }

  save(batch: StoreBatch): void {
    if (this.closed) return;
    this.saveTx(batch);
  }

  tokenSecret(): Buffer {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('token-secret') as { value: string } | undefined;
    const stored = row ? Buffer.from(row.value, 'hex') : undefined;
    if (stored && stored.length >= TOKEN_SECRET_BYTES) return stored;
    const secret = newTokenSecret();
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run('token-secret', secret.toString('hex'));
    return secret;
  }

  readBack(keys: ReadBackKeys): ReadBack {
    const out: ReadBack = { runs: new Map(), currentRuns: new Map(), namespaces: new Map() };
    for (const runId of keys.runIds) {
      const row = this.stmts.getExecution.get(runId) as { state: string } | undefined;
      if (row) out.runs.set(runId, JSON.parse(row.state) as ExecutionState);
    }
    for (const c of keys.currentRuns) {
      const row = this.stmts.getCurrent.get(c.namespace, c.workflowId) as { runId: string } | undefined;
      if (row) out.currentRuns.set(`${c.namespace}\u0000${c.workflowId}`, row.runId);
    }
    for (const name of keys.namespaces) {
      const row = this.stmts.getNamespace.get(name) as { data: string } | undefined;
      if (row) out.namespaces.set(name, JSON.parse(row.data) as NamespaceRecord);
    }
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
