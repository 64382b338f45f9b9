/**
 * The grpc-js definition and implementation of a Temporal API service the dev server
 * serves (WorkflowService, TestService, grpc.health.v1.Health): every method unary,
 * responses encoded from plain objects with the static `encode`. Each service decodes
 * requests and answers calls its own way; this only builds the tables grpc-js wants.
 */
import type * as grpc from '@grpc/grpc-js';
import { serviceMethods } from '../common/proto';

/** A request message class, as protobufjs generates it. */
export type RequestClass = { decode(b: Uint8Array): object };

/** A method of a served service, as `implement` sees it. */
export interface ServedMethod {
  name: string;
  requestClass: RequestClass;
}

/** What `grpc.Server.addService` takes. */
export interface ServedService {
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

/**
 * Builds the service `serviceName` from `decode` (the request bytes into what the handler
 * reads) and `implement` (the handler of one method).
 *
 * @param only serve just these methods; @default every method of the service
 */
export function unaryService(
  serviceName: string,
  decode: (requestClass: RequestClass, bytes: Buffer) => unknown,
  implement: (method: ServedMethod) => grpc.UntypedHandleCall,
  only?: readonly string[],
): ServedService {
  const definition: Record<string, grpc.MethodDefinition<any, any>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const m of serviceMethods(serviceName)) {
    if (only && !only.includes(m.name)) continue;
    const requestClass = m.requestClass as RequestClass;
    const responseClass = m.responseClass as { encode(o: object): { finish(): Uint8Array } };
    definition[m.name] = {
      path: m.path,
      requestStream: false,
      responseStream: false,
      requestDeserialize: (b: Buffer) => decode(requestClass, b),
      requestSerialize: () => Buffer.alloc(0),
      responseSerialize: (o: object) => Buffer.from(responseClass.encode(o).finish()),
      responseDeserialize: (b: Buffer) => b,
    };
    implementation[m.name] = implement({ name: m.name, requestClass });
  }
  return { definition, implementation };
}
