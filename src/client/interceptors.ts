/** Client interceptors (same method names as @temporalio/client's WorkflowClientInterceptor). */
import type { Payload } from '../converter';
import type { WorkflowOptions } from './client';

export type Headers = Record<string, Payload>;

export interface WorkflowStartInput {
  workflowType: string;
  headers: Headers;
  options: WorkflowOptions;
}
export interface WorkflowSignalInput {
  signalName: string;
  args: unknown[];
  workflowExecution: { workflowId: string; runId?: string };
  headers: Headers;
}
export interface WorkflowSignalWithStartInput {
  workflowType: string;
  signalName: string;
  signalArgs: unknown[];
  headers: Headers;
  options: WorkflowOptions;
}
export interface WorkflowQueryInput {
  queryType: string;
  args: unknown[];
  workflowExecution: { workflowId: string; runId?: string };
  headers: Headers;
}
export interface WorkflowTerminateInput {
  workflowExecution: { workflowId: string; runId?: string };
  reason?: string;
}
export interface WorkflowCancelInput {
  workflowExecution: { workflowId: string; runId?: string };
}
export interface WorkflowDescribeInput {
  workflowExecution: { workflowId: string; runId?: string };
}

type Next<I, O> = (input: I) => Promise<O>;

export interface WorkflowClientInterceptor {
  start?(input: WorkflowStartInput, next: Next<WorkflowStartInput, string>): Promise<string>;
  signal?(input: WorkflowSignalInput, next: Next<WorkflowSignalInput, void>): Promise<void>;
  signalWithStart?(input: WorkflowSignalWithStartInput, next: Next<WorkflowSignalWithStartInput, string>): Promise<string>;
  query?(input: WorkflowQueryInput, next: Next<WorkflowQueryInput, unknown>): Promise<unknown>;
  terminate?(input: WorkflowTerminateInput, next: Next<WorkflowTerminateInput, void>): Promise<void>;
  cancel?(input: WorkflowCancelInput, next: Next<WorkflowCancelInput, void>): Promise<void>;
  describe?(input: WorkflowDescribeInput, next: Next<WorkflowDescribeInput, unknown>): Promise<unknown>;
}

export interface ClientInterceptors {
  workflow?: WorkflowClientInterceptor[];
}

/** Chains client interceptors around `next`, first one outermost. */
export function chain<K extends keyof WorkflowClientInterceptor, I, O>(interceptors: WorkflowClientInterceptor[], method: K, next: Next<I, O>): Next<I, O> {
  let chained = next;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const ic = interceptors[i]!;
    const fn = ic[method] as unknown as ((input: I, next: Next<I, O>) => Promise<O>) | undefined;
    if (fn) {
      const inner = chained;
      chained = (input) => fn.call(ic, input, inner);
    }
  }
  return chained;
}
