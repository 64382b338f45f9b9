/**
 * Bastion's Client.
 *
 * ```ts
 * import { Connection } from 'bastion-temporal';
 * import { Client } from 'bastion-temporal/client';
 * const client = new Client({ connection: await Connection.connect({ address: '127.0.0.1:7233' }) });
 * const result = await client.workflow.execute('greet', { taskQueue: 'q', workflowId: 'w1', args: ['you'] });
 * ```
 */
export { Client, WorkflowClient, WorkflowHandle } from './client';
export { WorkflowUpdateStage } from './update-handle';
export type { WorkflowUpdateHandle, WorkflowUpdateOptions } from './update-handle';
export { WithStartWorkflowOperation } from './with-start';
export type { UpdateWithStartOptions, WorkflowIdConflictPolicyName } from './with-start';
/** The connection, exported here too as `@temporalio/client` exports it. */
export { Connection } from '../connection';
export type { ConnectionOptions } from '../connection';
export type { ClientOptions, WorkflowStartOptions, WorkflowExecutionDescription, RetryPolicy } from './client';
export type {
  ClientInterceptors,
  WorkflowClientInterceptor,
  WorkflowStartInput,
  WorkflowSignalInput,
  WorkflowSignalWithStartInput,
  WorkflowQueryInput,
  WorkflowTerminateInput,
  WorkflowCancelInput,
  WorkflowDescribeInput,
} from './interceptors';
export { ScheduleClient, ScheduleHandle } from './schedule-client';
export { ScheduleAlreadyRunning, ScheduleNotFoundError } from './schedule-errors';
export { ScheduleOverlapPolicy, MONTHS, DAYS_OF_WEEK } from './schedule-types';
export type {
  ScheduleOptions,
  ScheduleUpdateOptions,
  ScheduleDescription,
  ScheduleSummary,
  ScheduleSpec,
  ScheduleSpecDescription,
  CalendarSpec,
  CalendarSpecDescription,
  IntervalSpec,
  Backfill,
  ScheduleOptionsAction,
  ScheduleOptionsStartWorkflowAction,
  ScheduleExecutionResult,
  ScheduleListOptions,
  Range,
  LooseRange,
  Month,
  DayOfWeek,
} from './schedule-types';
export {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  QueryNotRegisteredError,
  QueryFailedError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from './errors';
export { BastionError, ClientError, ConnectionError, ConverterError } from '../common/errors';
export {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TimeoutFailure,
  ActivityFailure,
  ChildWorkflowFailure,
  ServerFailure,
  TemporalFailure,
  defaultPayloadConverter,
} from '../converter';
export type { DataConverter, Payload, PayloadConverter } from '../converter';
export type { PayloadCodec } from '../converter/codec-chain';
