/**
 * Workflow interceptors, as in @temporalio/workflow: a module listed in the worker's
 * `interceptors.workflowModules` exports `interceptors()` returning inbound and outbound
 * interceptors. Each method receives the input and `next`; headers set here travel with
 * the command (to activities, children, signalled workflows).
 */
import type { temporal } from '@temporalio/proto';
import type { ActivityOptions } from './activities';
import type { LocalActivityOptions } from './local-activities';
import type { ChildWorkflowOptions } from './children';
import type { ContinueAsNewOptions } from './misc';
import type { Timestamp } from './runtime/durations';

type Payload = temporal.api.common.v1.IPayload;

export type Headers = Record<string, Payload>;
export type { Timestamp };
export type Next<I, O> = (input: I) => O;

export interface WorkflowExecuteInput {
  args: unknown[];
  headers: Headers;
}
export interface SignalInput {
  signalName: string;
  args: unknown[];
  headers: Headers;
}
export interface QueryInput {
  queryId: string;
  queryName: string;
  args: unknown[];
  headers: Headers;
}

export interface WorkflowInboundCallsInterceptor {
  execute?(input: WorkflowExecuteInput, next: Next<WorkflowExecuteInput, Promise<unknown>>): Promise<unknown>;
  handleSignal?(input: SignalInput, next: Next<SignalInput, Promise<void>>): Promise<void>;
  handleQuery?(input: QueryInput, next: Next<QueryInput, Promise<unknown>>): Promise<unknown>;
}

export interface ActivityInput {
  activityType: string;
  args: unknown[];
  options: ActivityOptions;
  headers: Headers;
  seq: number;
}
export interface LocalActivityInput {
  activityType: string;
  args: unknown[];
  options: LocalActivityOptions;
  /** Travel with the request to the activity's inbound interceptors (the trace context, for one). */
  headers: Headers;
  seq: number;
  /**
   * The first attempt this schedule runs: 1, then — when a retry's backoff is longer than
   * `localRetryThreshold` and the workflow waited for it on a durable timer — the attempt
   * after the failed one. Retries under the threshold run within this schedule.
   */
  attempt: number;
  /** When the first attempt was scheduled; set on the schedules after a backoff timer. */
  originalScheduleTime?: Timestamp;
}
export interface TimerInput {
  durationMs: number;
  seq: number;
}
export interface StartChildWorkflowExecutionInput {
  workflowType: string;
  options: ChildWorkflowOptions;
  headers: Headers;
  seq: number;
}
export interface SignalWorkflowInput {
  signalName: string;
  args: unknown[];
  target: { workflowId: string; runId?: string; childWorkflowOnly: boolean };
  headers: Headers;
  seq: number;
}
export interface ContinueAsNewInput {
  args: unknown[];
  options: ContinueAsNewOptions;
  headers: Headers;
}

export interface WorkflowOutboundCallsInterceptor {
  scheduleActivity?(input: ActivityInput, next: Next<ActivityInput, Promise<unknown>>): Promise<unknown>;
  scheduleLocalActivity?(input: LocalActivityInput, next: Next<LocalActivityInput, Promise<unknown>>): Promise<unknown>;
  startTimer?(input: TimerInput, next: Next<TimerInput, Promise<void>>): Promise<void>;
  startChildWorkflowExecution?(
    input: StartChildWorkflowExecutionInput,
    next: Next<StartChildWorkflowExecutionInput, Promise<[Promise<string>, Promise<unknown>]>>,
  ): Promise<[Promise<string>, Promise<unknown>]>;
  signalWorkflow?(input: SignalWorkflowInput, next: Next<SignalWorkflowInput, Promise<void>>): Promise<void>;
  continueAsNew?(input: ContinueAsNewInput, next: Next<ContinueAsNewInput, Promise<never>>): Promise<never>;
}

export interface WorkflowInterceptors {
  inbound?: WorkflowInboundCallsInterceptor[];
  outbound?: WorkflowOutboundCallsInterceptor[];
}

export type WorkflowInterceptorsFactory = () => WorkflowInterceptors;

/**
 * Chains interceptors around `next`: the first in the list is outermost, as in the
 * official SDK.
 */
export function composeInterceptors<T extends object, K extends keyof T, I, O>(interceptors: T[], method: K, next: Next<I, O>): Next<I, O> {
  let chained = next;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i]!;
    const fn = interceptor[method] as unknown as ((input: I, next: Next<I, O>) => O) | undefined;
    if (typeof fn === 'function') {
      const inner = chained;
      chained = (input: I) => fn.call(interceptor, input, inner);
    }
  }
  return chained;
}
