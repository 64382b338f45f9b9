/**
 * A raw grpc-js WorkflowService client (no SDK in between: requests are encoded with
 * the static protobufjs classes as they are given) and the steps of a hand-driven
 * worker, for tests that send what an SDK never would.
 */
import * as grpc from '@grpc/grpc-js';
import { temporal } from '@temporalio/proto';
import { serviceDefinition, WORKFLOW_SERVICE_NAME } from '../../src/common/proto';

const E = temporal.api.enums.v1;

export interface RawService {
  /** Calls a WorkflowService method by its proto name, e.g. `StartWorkflowExecution`. */
  call(method: string, request: object): Promise<any>;
  /** The gRPC error a call fails with; throws if it succeeds. */
  callError(method: string, request: object): Promise<grpc.ServiceError>;
  close(): void;
}

export function rawService(address: string): RawService {
  const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(WORKFLOW_SERVICE_NAME) as grpc.ServiceDefinition, 'WorkflowService');
  const client = new Ctor(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': -1, 'grpc.max_receive_message_length': -1 });
  const call = (method: string, request: object): Promise<any> =>
    new Promise((resolve, reject) => {
      (client as unknown as Record<string, Function>)[method]!.call(client, request, (err: grpc.ServiceError | null, res: unknown) =>
        err ? reject(err) : resolve(res),
      );
    });
  return {
    call,
    async callError(method, request) {
      try {
        await call(method, request);
      } catch (err) {
        return err as grpc.ServiceError;
      }
      throw new Error(`expected ${method} to fail`);
    },
    close: () => client.close(),
  };
}

/** A Failure with a cause chain `levels` deep (the outermost counts as one). */
export function deepFailure(levels: number): Record<string, any> {
  let f: Record<string, any> | undefined;
  for (let i = levels - 1; i >= 0; i--) f = { message: `level ${i}`, cause: f };
  return f!;
}

/** A Payloads holding `bytes` bytes of data. */
export function payloadsOf(bytes: number): object {
  return { payloads: [{ metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.alloc(bytes, 7) }] };
}

/** Starts a workflow and completes its first task with `commands`; returns the run id and the completion's outcome. */
export async function startAndComplete(
  svc: RawService,
  workflowId: string,
  taskQueue: string,
  commands: object[],
): Promise<{ runId: string; error?: grpc.ServiceError }> {
  const { runId } = await svc.call('StartWorkflowExecution', {
    namespace: 'default',
    workflowId,
    workflowType: { name: 'wf' },
    taskQueue: { name: taskQueue },
    requestId: workflowId,
  });
  const task = await svc.call('PollWorkflowTaskQueue', { namespace: 'default', taskQueue: { name: taskQueue }, identity: 'raw-worker' });
  try {
    await svc.call('RespondWorkflowTaskCompleted', { namespace: 'default', taskToken: task.taskToken, identity: 'raw-worker', commands });
    return { runId };
  } catch (error) {
    return { runId, error: error as grpc.ServiceError };
  }
}

/** Starts a workflow that schedules one activity (at most `maximumAttempts`) and returns the started activity task. */
export async function startActivity(
  svc: RawService,
  workflowId: string,
  taskQueue: string,
  maximumAttempts = 3,
): Promise<{ runId: string; taskToken: Uint8Array }> {
  const { runId, error } = await startAndComplete(svc, workflowId, taskQueue, [
    {
      commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
      scheduleActivityTaskCommandAttributes: {
        activityId: '1',
        activityType: { name: 'act' },
        taskQueue: { name: taskQueue },
        startToCloseTimeout: { seconds: 30 },
        retryPolicy: { maximumAttempts, initialInterval: { seconds: 1 } },
      },
    },
  ]);
  if (error) throw error;
  const task = await svc.call('PollActivityTaskQueue', { namespace: 'default', taskQueue: { name: taskQueue }, identity: 'raw-worker' });
  return { runId, taskToken: task.taskToken };
}

/** The events of a run, decoded by protobufjs (which refuses messages nested over 100 deep). */
export async function historyOf(svc: RawService, workflowId: string): Promise<Array<Record<string, any>>> {
  const h = await svc.call('GetWorkflowExecutionHistory', { namespace: 'default', execution: { workflowId } });
  return h.history?.events ?? [];
}
