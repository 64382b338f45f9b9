/** Where the dev server keeps its state: in memory, or in SQLite with `--db-filename`. */
import type { JsonEvent } from '../json-proto';
import type { ExecutionState } from '../state';
import { newTokenSecret } from '../task-token';

export interface NamespaceRecord {
  name: string;
  id: string;
  description: string;
  ownerEmail: string;
  retentionMs: number;
  data: Record<string, string>;
}

export interface LoadedExecution {
  state: ExecutionState;
  events: JsonEvent[];
}

export interface StoreSnapshot {
  namespaces: NamespaceRecord[];
  executions: LoadedExecution[];
  currentRuns: Array<{ namespace: string; workflowId: string; runId: string }>;
}

export interface StoreBatch {
  namespaces: NamespaceRecord[];
  executions: Array<{ state: ExecutionState; newEvents: JsonEvent[] }>;
  currentRuns: Array<{ namespace: string; workflowId: string; runId: string }>;
}

export interface Store {
  readonly durable: boolean;
  load(): StoreSnapshot;
  /** Writes a batch atomically; returns when it is on disk (or at once in memory). */
  save(batch: StoreBatch): void;
  /**
   * The server's secret for sealing task and page tokens: created once and kept with the
   * state, so tokens handed out before a restart still work after it.
   */
  tokenSecret(): Buffer;
  close(): void;
}

export class MemoryStore implements Store {
  readonly durable = false;
  load(): StoreSnapshot {
    return { namespaces: [], executions: [], currentRuns: [] };
  }
  save(): void {}
  /** Random per process: tokens from another server process are refused. */
  private readonly secret = newTokenSecret();
  tokenSecret(): Buffer {
    return this.secret;
  }
  close(): void {}
}
