/**
 * `connection.workflowService` and `connection.operatorService`: one async method per RPC,
 * built from the service's reflection in `@temporalio/proto`, so every method of the API
 * exists with the official SDK's lower-camel name (`startWorkflowExecution`). Each service
 * object is a protobufjs `rpc.Service`, the shape `@temporalio/client` declares, so the
 * official Client accepts a Bastion `Connection`.
 */
import type { temporal } from '@temporalio/proto';
import * as protoRoot from '@temporalio/proto';
import { serviceMethods, WORKFLOW_SERVICE_NAME } from '../common/proto';
import type { Duration } from '../common/duration';

/** The operator service: search attributes, Nexus endpoints, remote clusters. */
export const OPERATOR_SERVICE_NAME = 'temporal.api.operatorservice.v1.OperatorService';

type ProtoWorkflowService = temporal.api.workflowservice.v1.WorkflowService;
type ProtoOperatorService = temporal.api.operatorservice.v1.OperatorService;

/** The lower-camel names of a service's RPCs. */
type MethodNames<S> = { [K in keyof S]: S[K] extends { readonly path: string; readonly requestType: string } ? K : never }[keyof S];
type RequestOf<F> = F extends { (request: infer Req): Promise<unknown> } ? Req : never;
type ResponseOf<F> = F extends { (request: never): Promise<infer Res> } ? Res : never;

/** The protobufjs callback style of a method: `method(request, (err, response) => …)`. */
export type ServiceCallback<Res> = (error: Error | null, response?: Res) => void;

/** One RPC: `(request, options?) => Promise<response>`, or `(request, callback)`; carries its proto names as the generated types declare. */
export type ServiceMethod<F> = ((request: RequestOf<F>, options?: CallOptions | ServiceCallback<ResponseOf<F>>) => Promise<ResponseOf<F>>) &
  Pick<F, Extract<keyof F, 'name' | 'path' | 'requestType' | 'responseType' | 'requestStream' | 'responseStream'>>;

/** Every RPC of `S` as a {@link ServiceMethod}, with the other members of the protobufjs `rpc.Service` `S` (`end`, `on`, …). */
export type ServiceClient<S> = { readonly [K in MethodNames<S>]: ServiceMethod<S[K]> } & Omit<S, MethodNames<S>>;

/** The lower-camel names of the WorkflowService RPCs (`startWorkflowExecution`, …). */
export type WorkflowServiceMethod = MethodNames<ProtoWorkflowService>;

/** The request type of an RPC: the generated interface, so plain objects are accepted. */
export type WorkflowServiceRequest<K extends WorkflowServiceMethod> = RequestOf<ProtoWorkflowService[K]>;

/** The decoded response message of an RPC. */
export type WorkflowServiceResponse<K extends WorkflowServiceMethod> = ResponseOf<ProtoWorkflowService[K]>;

/** Per-call options of every service method. */
export interface CallOptions {
  /** Aborts the call (and any pending retry); the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /**
   * A deadline for this call, covering every retry; replaces `callTimeout` (or
   * `longPollTimeout` for a long poll).
   */
  timeout?: Duration;
  /** Headers for this call only, set over the connection's `metadata` (and over `authorization` from `apiKey`). */
  metadata?: Record<string, string | Buffer>;
}

/** Every WorkflowService RPC as `method(request, options?) => Promise<response>` (also a protobufjs `rpc.Service`). */
export type WorkflowService = ServiceClient<ProtoWorkflowService>;

/** Every OperatorService RPC as `method(request, options?) => Promise<response>` (also a protobufjs `rpc.Service`). */
export type OperatorService = ServiceClient<ProtoOperatorService>;

/** What the connection needs to know to make one unary call. */
export interface UnaryMethod {
  /** Proto name, e.g. `StartWorkflowExecution`. */
  readonly name: string;
  /** `/temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution`. */
  readonly path: string;
  /** The property of the connection that holds the method (`workflowService`), for messages. */
  readonly service: 'workflowService' | 'operatorService';
  /** Encodes a plain object or message (enums as names or numbers, bytes as Buffers or base64). */
  readonly serialize: (request: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => object;
}

interface StaticMessageClass {
  fromObject(object: Record<string, unknown>): object;
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
}

const cachedMethods = new Map<string, readonly UnaryMethod[]>();

/** The unary methods of a service, computed once per process. */
function unaryMethods(serviceName: string): readonly UnaryMethod[] {
  let methods = cachedMethods.get(serviceName);
  if (!methods) {
    const service = serviceName === WORKFLOW_SERVICE_NAME ? 'workflowService' : 'operatorService';
    methods = Object.freeze(
      serviceMethods(serviceName).map(({ name, path, requestClass, responseClass }) => {
        const req = requestClass as StaticMessageClass;
        const res = responseClass as StaticMessageClass;
        return Object.freeze({
          name,
          path,
          service,
          // fromObject returns a message as is, and converts plain objects (enum names, base64 bytes).
          serialize: (request: unknown) => Buffer.from(req.encode(req.fromObject((request ?? {}) as Record<string, unknown>)).finish()),
          deserialize: (bytes: Buffer) => res.decode(bytes),
        } as const);
      }),
    );
    cachedMethods.set(serviceName, methods);
  }
  return methods;
}

/** The unary methods of the WorkflowService, computed once per process. */
export function workflowServiceMethods(): readonly UnaryMethod[] {
  return unaryMethods(WORKFLOW_SERVICE_NAME);
}

/** `StartWorkflowExecution` → `startWorkflowExecution`. */
export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

type Call = (method: UnaryMethod, request: unknown, options: CallOptions | undefined) => Promise<object>;

interface ReflectedService {
  readonly methods: Record<string, { readonly requestType: string; readonly responseType: string }>;
  create(rpcImpl: (method: unknown, data: Uint8Array, callback: (err: Error | null) => void) => void): Record<string, unknown>;
}

/**
 * Builds a service object on top of a function that makes one call: a protobufjs
 * `rpc.Service` (as `@temporalio/client` declares its services) whose methods take
 * `(request, options?)` and return a promise, or `(request, callback)` in protobufjs style.
 */
function createService(serviceName: string, call: Call): Record<string, unknown> {
  const reflected = serviceName.split('.').reduce<unknown>((cur, part) => (cur as Record<string, unknown>)[part], protoRoot) as ReflectedService;
  // Every method below replaces the protobufjs one, so `rpcImpl` only serves direct `rpcCall`s.
  const service = reflected.create((_method, _data, callback) =>
    callback(new TypeError('Call the service methods (`startWorkflowExecution(request)`) rather than `rpcCall`.')),
  );
  for (const method of unaryMethods(serviceName)) {
    const fn = (request: unknown, options?: CallOptions | ServiceCallback<object>): Promise<object> => {
      if (typeof options !== 'function') return call(method, request, options);
      const pending = call(method, request, undefined);
      pending.then(
        (res) => options(null, res),
        (err: Error) => options(err),
      );
      return pending;
    };
    Object.defineProperties(fn, {
      name: { value: method.name },
      path: { value: method.path },
      requestType: { value: reflected.methods[method.name]!.requestType },
      responseType: { value: reflected.methods[method.name]!.responseType },
    });
    Object.defineProperty(service, lowerCamel(method.name), { value: fn, enumerable: true });
  }
  return service;
}

/** Builds the `workflowService` object on top of a function that makes one call. */
export function createWorkflowService(call: Call): WorkflowService {
  return createService(WORKFLOW_SERVICE_NAME, call) as unknown as WorkflowService;
}

/** Builds the `operatorService` object on top of a function that makes one call. */
export function createOperatorService(call: Call): OperatorService {
  return createService(OPERATOR_SERVICE_NAME, call) as unknown as OperatorService;
}
