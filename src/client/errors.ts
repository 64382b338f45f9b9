/** The client's typed errors (names as in @temporalio/client). */
const MARK = Symbol.for('bastion.clientError');

abstract class ClientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, MARK, { value: this.constructor.name });
  }
  override get name(): string {
    return this.constructor.name;
  }
}

function crossRealm<T extends abstract new (...a: any[]) => ClientError>(cls: T, name: string): T {
  Object.defineProperty(cls, Symbol.hasInstance, {
    value: (v: unknown) => typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[MARK] === name,
  });
  return cls;
}

/** The workflow closed unsuccessfully; `cause` is the failure (ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure…). */
export const WorkflowFailedError = crossRealm(class WorkflowFailedError extends ClientError {
  constructor(message: string, cause: unknown, readonly retryState: number) {
    super(message, { cause });
  }
}, 'WorkflowFailedError');
export type WorkflowFailedError = InstanceType<typeof WorkflowFailedError>;

/** No workflow with this id (and run id) exists. */
export const WorkflowNotFoundError = crossRealm(class WorkflowNotFoundError extends ClientError {
  constructor(message: string, readonly workflowId: string, readonly runId: string | undefined) {
    super(message);
  }
}, 'WorkflowNotFoundError');
export type WorkflowNotFoundError = InstanceType<typeof WorkflowNotFoundError>;

/** A workflow with this id is already running. */
export const WorkflowExecutionAlreadyStartedError = crossRealm(class WorkflowExecutionAlreadyStartedError extends ClientError {
  constructor(message: string, readonly workflowId: string, readonly workflowType: string) {
    super(message);
  }
}, 'WorkflowExecutionAlreadyStartedError');
export type WorkflowExecutionAlreadyStartedError = InstanceType<typeof WorkflowExecutionAlreadyStartedError>;

/** The workflow has no handler for the query type. */
export const QueryNotRegisteredError = crossRealm(class QueryNotRegisteredError extends ClientError {
  constructor(message: string, readonly queryType: string) {
    super(message);
  }
}, 'QueryNotRegisteredError');
export type QueryNotRegisteredError = InstanceType<typeof QueryNotRegisteredError>;

/** The query handler threw, or the query could not be answered. */
export const QueryFailedError = crossRealm(class QueryFailedError extends ClientError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}, 'QueryFailedError');
export type QueryFailedError = InstanceType<typeof QueryFailedError>;
