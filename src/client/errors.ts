/**
 * The client's typed errors, named as in `@temporalio/client`. Each is a `BastionError`
 * (area `client`) with its own code from the one table in `src/common/errors.ts`, and an
 * `instanceof` that matches only itself across `node:vm` realms.
 */
import { ClientError } from '../common/errors';

/** The workflow closed unsuccessfully; `cause` is the failure (ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure…). */
export class WorkflowFailedError extends ClientError {
  constructor(
    message: string,
    cause: unknown,
    readonly retryState: number,
  ) {
    super('ERR_CLIENT_WORKFLOW_FAILED', message, { cause });
  }
}

/** No workflow with this id (and run id) exists. */
export class WorkflowNotFoundError extends ClientError {
  constructor(
    message: string,
    readonly workflowId: string,
    readonly runId: string | undefined,
  ) {
    super('ERR_CLIENT_WORKFLOW_NOT_FOUND', message);
  }
}

/** A workflow with this id is already running. */
export class WorkflowExecutionAlreadyStartedError extends ClientError {
  constructor(
    message: string,
    readonly workflowId: string,
    readonly workflowType: string,
  ) {
    super('ERR_CLIENT_WORKFLOW_ALREADY_STARTED', message);
  }
}

/** The workflow has no handler for the query type. */
export class QueryNotRegisteredError extends ClientError {
  constructor(
    message: string,
    readonly queryType: string,
  ) {
    super('ERR_CLIENT_QUERY_NOT_REGISTERED', message);
  }
}

/** The update failed (rejected by its validator or the worker, or its handler threw a Temporal failure); `cause` holds the failure. */
export class WorkflowUpdateFailedError extends ClientError {
  constructor(message: string, cause: unknown) {
    super('ERR_CLIENT_UPDATE_FAILED', message, { cause });
  }
}

/** The update call hit its deadline or was cancelled before the stage asked for; the update may still run. */
export class WorkflowUpdateRPCTimeoutOrCancelledError extends ClientError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CLIENT_UPDATE_RPC_TIMEOUT_OR_CANCELLED', message, { cause });
  }
}

/** The query handler threw, or the query could not be answered. */
export class QueryFailedError extends ClientError {
  constructor(message: string, cause?: unknown) {
    super('ERR_CLIENT_QUERY_FAILED', message, { cause });
  }
}
