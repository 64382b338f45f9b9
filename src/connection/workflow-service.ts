/**
 * `connection.workflowService`: one async method per WorkflowService RPC, built from the
 * service's reflection in `@temporalio/proto`, so every method of the API exists with
 * the official SDK's lower-camel name (`startWorkflowExecution`).
 */
import type { temporal } from '@temporalio/proto';
import { serviceMethods, WORKFLOW_SERVICE_NAME } from '../common/proto';
import type { Duration } from '../common/duration';

type Service = temporal.api.workflowservice.v1.WorkflowService;

/** The lower-camel names of the WorkflowService RPCs (`startWorkflowExecution`, …). */
export type WorkflowServiceMethod = {
  [K in keyof Service]: Service[K] extends { readonly path: string; readonly requestType: string } ? K : never;
}[keyof Service];

/** The request type of an RPC: the generated interface, so plain objects are accepted. */
export type WorkflowServiceRequest<K extends WorkflowServiceMethod> = Service[K] extends { (request: infer Req): Promise<unknown> } ? Req : never;

/** The decoded response message of an RPC. */
export type WorkflowServiceResponse<K extends WorkflowServiceMethod> = Service[K] extends { (request: never): Promise<infer Res> } ? Res : never;

/** Per-call options of every WorkflowService method. */
export interface CallOptions {
  /** Aborts the call (and any pending retry); the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * A deadline for this call, covering every retry; replaces `callTimeout` (or
   * `longPollTimeout` for a long poll).
   */
  timeout?: Duration;
}

/** Every WorkflowService RPC as `method(request, options?) => Promise<response>`. */
export type WorkflowService = {
  readonly [K in WorkflowServiceMethod]: (request: WorkflowServiceRequest<K>, options?: CallOptions) => Promise<WorkflowServiceResponse<K>>;
};

/** What the connection needs to know to make one unary call. */
export interface UnaryMethod {
  /** Proto name, e.g. `StartWorkflowExecution`. */
  readonly name: string;
  /** `/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution`. */
  readonly path: string;
  /** Encodes a plain object or message (enums as names or numbers, bytes as Buffers or base64). */
  readonly serialize: (request: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => object;
}

interface StaticMessageClass {
  fromObject(object: Record<string, unknown>): object;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
}

let cachedMethods: readonly UnaryMethod[] | undefined;

/** The unary methods of the WorkflowService, computed once per process. */
export function workflowServiceMethods(): readonly UnaryMethod[] {
  cachedMethods ??= Object.freeze(
    serviceMethods(WORKFLOW_SERVICE_NAME).map(({ name, path, requestClass, responseClass }) => {
      const req = requestClass as StaticMessageClass;
      const res = responseClass as StaticMessageClass;
      return Object.freeze({
        name,
        path,
        // fromObject returns a message as is, and converts plain objects (enum names, base64 bytes).
        serialize: (request: unknown) => Buffer.from(req.encode(req.fromObject((request ?? {}) as Record<string, unknown>)).finish()),
        deserialize: (bytes: Buffer) => res.decode(bytes),
      });
    }),
  );
  return cachedMethods;
}

/** `StartWorkflowExecution` → `startWorkflowExecution`. */
export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Builds the `workflowService` object on top of a function that makes one call. */
export function createWorkflowService(call: (method: UnaryMethod, request: unknown, options: CallOptions | undefined) => Promise<object>): WorkflowService {
  const service: Record<string, (request: unknown, options?: CallOptions) => Promise<object>> = {};
  for (const method of workflowServiceMethods()) {
    service[lowerCamel(method.name)] = (request, options) => call(method, request, options);
  }
  return Object.freeze(service) as unknown as WorkflowService;
}
