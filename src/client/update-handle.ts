/**
 * Workflow updates from the client, with the official `@temporalio/client`'s shapes:
 * `handle.executeUpdate`, `handle.startUpdate({ waitForStage })`, `handle.getUpdateHandle`,
 * and the update handle's `result()`. The request is sent again until the update is at
 * least ACCEPTED (the server answers with the stage reached when its deadline nears),
 * then the outcome is polled with PollWorkflowExecutionUpdate, as the official client does.
 */
import { randomUUID } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import { temporal, type TemporalTypes } from '../common/proto';
import type { WorkflowClient } from './client';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from './errors';
import type { Headers } from './interceptors';

const Stage = temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;

/** The stages an update can be waited for (the official client's `WorkflowUpdateStage`). */
export const WorkflowUpdateStage = {
  ADMITTED: 'ADMITTED',
  ACCEPTED: 'ACCEPTED',
  COMPLETED: 'COMPLETED',
  UNSPECIFIED: undefined,
} as const;
export type WorkflowUpdateStage = (typeof WorkflowUpdateStage)[keyof typeof WorkflowUpdateStage];

/** Options of `executeUpdate`: `args` and an optional `updateId` (a random UUID by default). */
export interface WorkflowUpdateOptions {
  updateId?: string;
}

/** A started update: its id, its workflow, and `result()` that waits for its outcome. */
export interface WorkflowUpdateHandle<Ret> {
  readonly updateId: string;
  readonly workflowId: string;
  readonly workflowRunId?: string;
  /** Waits for the update to complete. @throws WorkflowUpdateFailedError with the failure as `cause` */
  result(): Promise<Ret>;
}

type Outcome = TemporalTypes.api.update.v1.IOutcome;
type Execution = { workflowId: string; runId?: string };

export function encodeStage(stage: WorkflowUpdateStage | undefined): number {
  if (stage === 'ADMITTED') return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
  if (stage === 'COMPLETED') return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
  return Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
}

/** Maps an update RPC's failure to the official client's errors. */
export function updateRpcError(err: unknown, exec: Execution): Error {
  const e = err as { code?: number; details?: string; message?: string };
  if (e.code === grpcStatus.DEADLINE_EXCEEDED || e.code === grpcStatus.CANCELLED) {
    return new WorkflowUpdateRPCTimeoutOrCancelledError(e.details || 'Workflow update call timeout or cancelled', err);
  }
  if (e.code === grpcStatus.NOT_FOUND) {
    return new WorkflowNotFoundError(e.details || 'Workflow not found', exec.workflowId, exec.runId);
  }
  return err as Error;
}

/** The UpdateWorkflowExecution request of one update. */
export async function updateRequest(
  client: WorkflowClient,
  exec: Execution,
  o: { name: string; args: unknown[]; updateId?: string; headers?: Headers; stage: number; firstExecutionRunId?: string },
) {
  return {
    namespace: client.namespace,
    workflowExecution: { workflowId: exec.workflowId, runId: exec.runId },
    firstExecutionRunId: o.firstExecutionRunId,
    waitPolicy: { lifecycleStage: o.stage },
    request: {
      meta: { updateId: o.updateId ?? randomUUID(), identity: client.identity },
      input: { header: { fields: o.headers ?? {} }, name: o.name, args: await client.payloads(o.args, exec.workflowId) },
    },
  };
}

/** Sends the update until it is at least ACCEPTED; returns the run it landed on and the outcome if already known. */
export async function sendUpdate(
  client: WorkflowClient,
  req: Awaited<ReturnType<typeof updateRequest>>,
  exec: Execution,
): Promise<{ runId?: string; outcome?: Outcome }> {
  let res: TemporalTypes.api.workflowservice.v1.IUpdateWorkflowExecutionResponse;
  try {
    do {
      res = await client.connection.workflowService.updateWorkflowExecution(req as never);
    } while (Number(res.stage ?? 0) < Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED);
  } catch (err) {
    throw updateRpcError(err, exec);
  }
  return { runId: res.updateRef?.workflowExecution?.runId ?? undefined, outcome: res.outcome ?? undefined };
}

/** Polls until the update has an outcome. */
export async function pollOutcome(client: WorkflowClient, updateId: string, exec: Execution): Promise<Outcome> {
  for (;;) {
    let res;
    try {
      res = await client.connection.workflowService.pollWorkflowExecutionUpdate({
        namespace: client.namespace,
        updateRef: { workflowExecution: { workflowId: exec.workflowId, runId: exec.runId }, updateId },
        identity: client.identity,
        waitPolicy: { lifecycleStage: Stage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED },
      });
    } catch (err) {
      throw updateRpcError(err, exec);
    }
    if (res.outcome) return res.outcome;
  }
}

/** An update handle; `outcome` when the server already gave it. */
export function updateHandle<Ret>(client: WorkflowClient, updateId: string, exec: Execution, outcome?: Outcome): WorkflowUpdateHandle<Ret> {
  let known = outcome;
  return {
    updateId,
    workflowId: exec.workflowId,
    workflowRunId: exec.runId,
    async result(): Promise<Ret> {
      known ??= await pollOutcome(client, updateId, exec);
      if (known.failure) throw new WorkflowUpdateFailedError('Workflow Update failed', await client.error(known.failure, exec.workflowId));
      return (await client.value(known.success?.payloads, exec.workflowId)) as Ret;
    },
  };
}
