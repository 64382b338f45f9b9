/** Where the dev server keeps its state: in memory, or in SQLite with `--db-filename`. */
import type { JsonEvent } from '../json-proto';
import type { ExecutionState } from '../state';

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

export interface Store {
  readonly durable: boolean;
  load(): StoreSnapshot;
  /** Writes a batch atomically; returns when it is on disk (or at once in memory). */
  save(batch: StoreBatch): void;
  close(): void;
}

export class MemoryStore implements Store {
  readonly durable = false;
  load(): StoreSnapshot {
    return { namespaces: [], executions: [], currentRuns: [] };
  }
  save(): void {}
  close(): void {}
}
