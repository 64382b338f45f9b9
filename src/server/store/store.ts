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
  /** Runs removed with their history (DeleteWorkflowExecution), and their current-run pointers. */
  deletedRuns?: Array<{ namespace: string; workflowId: string; runId: string }>;
}

/** Keys whose stored values a rollback reads back. */
export interface ReadBackKeys {
  runIds: string[];
  currentRuns: Array<{ namespace: string; workflowId: string }>;
  namespaces: string[];
}

/** What the store holds now for some keys; a missing entry was never written. */
export interface ReadBack {
  runs: Map<string, ExecutionState>;
  currentRuns: Map<string, string>;
  namespaces: Map<string, NamespaceRecord>;
}

export interface Store {
  readonly durable: boolean;
  load(): StoreSnapshot;
  /** Writes a batch atomically (all or nothing); returns when it is on disk (or at once in memory). Throws when the write failed. */
  save(batch: StoreBatch): void;
  /**
   * The server's secret for sealing task and page tokens: created once and kept with the
   * state, so tokens handed out before a restart still work after it.
   */
  tokenSecret(): Buffer;

  /**
   * The stored state of some runs, current-run pointers (keyed `namespace\u0000workflowId`)
   * and namespaces, so memory can be rolled back to what is on disk after a failed save.
   * Undefined for a store that keeps nothing apart from memory.
   */
  readBack(keys: ReadBackKeys): ReadBack | undefined;
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

  readBack(): undefined {
    return undefined;
  }
  close(): void {}
}
