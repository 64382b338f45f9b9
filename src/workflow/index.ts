/**
 * The workflow API, used inside workflow code (bundled and run in a sandbox by
 * Bastion's worker). It mirrors `@temporalio/workflow`, so workflow files move over by
 * changing the import — or not at all: Bastion's bundler maps `@temporalio/workflow`
 * to this module.
 *
 * ```ts
 * import { proxyActivities, sleep } from 'bastion-temporal/workflow';
 * const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });
 * export async function hello(name: string) { await sleep('1s'); return greet(name); }
 * ```
 */
export { proxyActivities, scheduleActivity, ActivityCancellationType } from './activities';
export type { ActivityOptions, RetryPolicy, ActivityInterfaceFor } from './activities';
export { proxyLocalActivities, scheduleLocalActivity, DEFAULT_LOCAL_RETRY_THRESHOLD_MS } from './local-activities';
export type { LocalActivityOptions } from './local-activities';
export { LocalActivityDoBackoff } from './local-activity-backoff';
export { sleep, condition } from './timers';
export {
  defineSignal,
  defineQuery,
  defineUpdate,
  setHandler,
  setDefaultSignalHandler,
  currentUpdateInfo,
  allHandlersFinished,
  HandlerUnfinishedPolicy,
} from './handlers';
export type { SignalDefinition, QueryDefinition, UpdateDefinition, UpdateInfo, UpdateHandlerOptions } from './handlers';
export { startChild, executeChild, getExternalWorkflowHandle, ParentClosePolicy, ChildWorkflowCancellationType } from './children';
export type { ChildWorkflowOptions, ChildWorkflowHandle, ExternalWorkflowHandle } from './children';
export {
  workflowInfo,
  inWorkflowContext,
  continueAsNew,
  makeContinueAsNewFunc,
  uuid4,
  patched,
  deprecatePatch,
  upsertSearchAttributes,
  upsertMemo,
  log,
} from './misc';
export type { ContinueAsNewOptions } from './misc';
export { proxySinks } from './sinks';
export type { Sink, Sinks, SinkFunction } from './sinks';
export type {
  WorkflowInterceptors,
  WorkflowInterceptorsFactory,
  WorkflowInboundCallsInterceptor,
  WorkflowOutboundCallsInterceptor,
  WorkflowExecuteInput,
  SignalInput,
  QueryInput,
  ActivityInput,
  LocalActivityInput,
  TimerInput,
  StartChildWorkflowExecutionInput,
  SignalWorkflowInput,
  ContinueAsNewInput,
  Headers,
  Next,
  Timestamp,
} from './interceptors';
export { CancellationScope } from './runtime/cancellation-scope';
export type { CancellationScopeOptions } from './runtime/cancellation-scope';
export { ContinueAsNew } from './runtime/workflow-info';
export type { WorkflowInfo } from './runtime/workflow-info';
export {
  ApplicationFailure,
  ActivityFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
  isCancellation,
  rootCause,
  defaultPayloadConverter,
} from '../converter';
