/**
 * Connections that misbehave on purpose: the real connection, with some WorkflowService
 * methods replaced (fault tests inject lost answers, timeouts and the like this way).
 */
import { Metadata, status } from '@grpc/grpc-js';
import type { Connection } from '../../src/connection';

type Service = Connection['workflowService'];
type Method = (request: never, options: never) => Promise<unknown>;

/**
 * `real`, except that its `workflowService` answers the methods in `overrides` with them
 * (every other method and member is the real one's).
 */
export function withWorkflowService(real: Connection, overrides: Partial<Record<keyof Service, Method>>): Connection {
  // The service object is frozen (a Proxy may not change its methods): wrap a copy.
  const service = new Proxy({ ...real.workflowService }, { get: (copy, key) => overrides[key as keyof Service] ?? Reflect.get(copy, key) });
  return new Proxy(real, {
    get(target, key) {
      if (key === 'workflowService') return service;
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** An error as grpc-js raises it for a call that ended with `code`. */
export function grpcStatusError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}
