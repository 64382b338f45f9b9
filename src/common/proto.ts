/**
 * Wire types and gRPC service definitions, all from `@temporalio/proto` (the official
 * compiled Temporal API). Nothing here is hand-written message code: the grpc-js service
 * definitions are derived from the protobufjs reflection of the service.
 */
import type * as grpc from '@grpc/grpc-js';
import * as protoRoot from '@temporalio/proto';
import type { Type, Service } from 'protobufjs';

export const { temporal, google } = protoRoot;
export type { temporal as TemporalTypes, google as GoogleTypes } from '@temporalio/proto';

export const WORKFLOW_SERVICE_NAME = 'temporal.api.workflowservice.v1.WorkflowService';
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';

interface ReflectionRoot {
  lookupService(name: string): Service;
  lookupType(name: string): Type;
}
const root = protoRoot as unknown as ReflectionRoot;

/** The protobufjs reflection type of a fully-qualified message name. */
export function lookupType(name: string): Type {
  return root.lookupType(name);
}

/** Method names of a service, e.g. `StartWorkflowExecution`. */
export function serviceMethodNames(serviceName: string): string[] {
  return root.lookupService(serviceName).methodsArray.map((m) => m.name);
}

interface StaticMessage {
  encode(message: object): { finish(): Uint8Array };
  decode(reader: Uint8Array): object;
}

function staticClass(service: Service, typeName: string): StaticMessage {
  // Method request/response names are relative to the service's package.
  const type = service.lookupType(typeName);
  const path = type.fullName.replace(/^\./, '').split('.');
  let cur: unknown = protoRoot;
  for (const part of path) cur = (cur as Record<string, unknown>)[part];
  return cur as StaticMessage;
}

/**
 * A grpc-js service definition for a service of the Temporal API, keyed by the method's
 * proto name (`StartWorkflowExecution`). Responses are encoded from plain objects with
 * the static `encode` (fast; enums must be numbers, int64 may be numbers).
 */
export function serviceDefinition(serviceName: string): grpc.ServiceDefinition {
  const service = root.lookupService(serviceName);
  const def: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const method of service.methodsArray) {
    const req = staticClass(service, method.requestType);
    const res = staticClass(service, method.responseType);
    def[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: !!method.requestStream,
      responseStream: !!method.responseStream,
      requestSerialize: (m: object) => Buffer.from(req.encode(m).finish()),
      requestDeserialize: (b: Buffer) => req.decode(b),
      responseSerialize: (m: object) => Buffer.from(res.encode(m).finish()),
      responseDeserialize: (b: Buffer) => res.decode(b),
      originalName: method.name.charAt(0).toLowerCase() + method.name.slice(1),
    };
  }
  return def;
}

/** Converts a protobufjs int64 (Long, number, string or null) into a JS number. */
export function toNumber(value: unknown): number {
  if (value == null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return Number(value);
  if (typeof (value as { toNumber?: unknown }).toNumber === 'function') return (value as { toNumber(): number }).toNumber();
  return Number(value);
}

/** A `google.protobuf.Timestamp` for a time in milliseconds since the epoch. */
export function timestampFromMs(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** Milliseconds of a `google.protobuf.Timestamp` or `Duration`; undefined when absent. */
export function msFromProto(value: { seconds?: unknown; nanos?: number | null } | null | undefined): number | undefined {
  if (value == null) return undefined;
  return toNumber(value.seconds) * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

/** A `google.protobuf.Duration` for a number of milliseconds. */
export function durationFromMs(ms: number): { seconds: number; nanos: number } {
  return timestampFromMs(ms);
}

/** Each method of a service with its static request and response classes. */
export function serviceMethods(serviceName: string): Array<{ name: string; path: string; requestClass: unknown; responseClass: unknown }> {
  const service = root.lookupService(serviceName);
  return service.methodsArray.map((m) => ({
    name: m.name,
    path: `/${serviceName}/${m.name}`,
    requestClass: staticClass(service, m.requestType),
    responseClass: staticClass(service, m.responseType),
  }));
}
