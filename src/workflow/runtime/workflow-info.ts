/**
 * What workflow code can know about its run (`workflowInfo()`), and the error
 * `continueAsNew` throws. Types only and one small class: no runtime state here.
 */
export interface WorkflowInfo {
  workflowId: string;
  runId: string;
  workflowType: string;
  namespace: string;
  taskQueue: string;
  firstExecutionRunId: string;
  continuedFromExecutionRunId?: string;
  originalExecutionRunId: string;
  attempt: number;
  startTime: Date;
  runStartTime: Date;
  executionTimeoutMs?: number;
  runTimeoutMs?: number;
  taskTimeoutMs: number;
  executionExpirationTime?: Date;
  parent?: { workflowId: string; runId: string; namespace: string };
  root?: { workflowId: string; runId: string };
  memo?: Record<string, unknown>;
  searchAttributes: Record<string, unknown>;
  lastResult?: unknown;
  lastFailure?: Error;
  historyLength: number;
  historySize: number;
  continueAsNewSuggested: boolean;
  cronSchedule?: string;
  unsafe: { isReplaying: boolean; now(): number };
}

/** Marker for the error `continueAsNew` throws; crosses realms by symbol. */
export const CONTINUE_AS_NEW = Symbol.for('bastion.continueAsNew');

export class ContinueAsNew extends Error {
  readonly [CONTINUE_AS_NEW] = true;
  /** @param command the continue-as-new command's attributes, as the sandbox builds them (proto JSON shape) */
  constructor(readonly command: Readonly<Record<string, unknown>>) {
    super('Workflow continued as new');
    this.name = 'ContinueAsNew';
  }
}
