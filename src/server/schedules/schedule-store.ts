/**
 * Where schedules are kept: in memory, or in the `--db-filename` SQLite file in a table of
 * their own (through a second connection; WAL lets both write the file). A schedule is
 * written as one JSON row after each change.
 */
import type Database from 'better-sqlite3';
import { loadSqliteDriver } from '../store/sqlite-driver';
import type { ScheduleRecord } from './schedule-state';

export interface ScheduleStore {
  load(): ScheduleRecord[];
  save(record: ScheduleRecord): void;
  delete(namespace: string, scheduleId: string): void;
  close(): void;
}

export class MemoryScheduleStore implements ScheduleStore {
  load(): ScheduleRecord[] {
    return [];
  }
  save(): void {}
  delete(): void {}
  close(): void {}
}

export class SqliteScheduleStore implements ScheduleStore {
  private readonly db: Database.Database;
  private readonly put;
  private readonly del;
  private closed = false;

  constructor(filename: string) {
    const Driver = loadSqliteDriver();
    this.db = new Driver(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS schedules (namespace TEXT NOT NULL, schedule_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (namespace, schedule_id))',
    );
    this.put = this.db.prepare('INSERT OR REPLACE INTO schedules (namespace, schedule_id, data) VALUES (?, ?, ?)');
    this.del = this.db.prepare('DELETE FROM schedules WHERE namespace = ? AND schedule_id = ?');
  }

  load(): ScheduleRecord[] {
    return (this.db.prepare('SELECT data FROM schedules').all() as Array<{ data: string }>).map((r) => JSON.parse(r.data) as ScheduleRecord);
  }

  save(record: ScheduleRecord): void {
    if (!this.closed) this.put.run(record.namespace, record.scheduleId, JSON.stringify(record));
  }

  delete(namespace: string, scheduleId: string): void {
    if (!this.closed) this.del.run(namespace, scheduleId);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}
