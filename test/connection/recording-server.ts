/**
 * A real grpc-js WorkflowService on 127.0.0.1, port 0, that implements only the methods a
 * test gives it (plus `GetSystemInfo`), records each call's headers and request, and
 * counts calls. Other methods answer UNIMPLEMENTED.
 */
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition, WORKFLOW_SERVICE_NAME } from '../../src/common/proto';

export interface RecordedCall {
  method: string;
  headers: Record<string, string>;
  request: Record<string, unknown>;
}

/** Answers a call: a response object, or throw `{ code, details }` (see {@link grpcError}). */
export type Handler = (request: Record<string, unknown>, call: grpc.ServerUnaryCall<object, object>) => object | Promise<object>;

export interface RecordingServer {
  address: string;
  port: number;
  calls: RecordedCall[];
  count(method: string): number;
  last(method: string): RecordedCall | undefined;
  close(): Promise<void>;
}

/** A gRPC status for a handler to throw. */
export function grpcError(code: grpc.status, details: string): Partial<grpc.StatusObject> {
  return { code, details };
}

/** Fails the first `n` calls with `code`, then answers with `response`. */
export function failFirst(n: number, code: grpc.status, response: object = {}): Handler {
  let seen = 0;
  return () => {
    seen += 1;
    if (seen <= n) throw grpcError(code, `attempt ${seen} failed on purpose`);
    return response;
  };
}

/** Never answers; the promise ends when the client cancels. */
export const hangUntilCancelled: Handler = (_request, call) => new Promise<object>((resolve) => call.on('cancelled', () => resolve({})));

export async function startRecordingServer(
  handlers: Record<string, Handler> = {},
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<RecordingServer> {
  const server = new grpc.Server();
  const calls: RecordedCall[] = [];
  const implementation: grpc.UntypedServiceImplementation = {};
  const all: Record<string, Handler> = { GetSystemInfo: () => ({ serverVersion: 'recording', capabilities: { sdkMetadata: true } }), ...handlers };
  for (const [method, handler] of Object.entries(all)) {
    implementation[method] = (call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(call.metadata.getMap())) headers[k] = String(v);
      const request = call.request as Record<string, unknown>;
      calls.push({ method, headers, request });
      Promise.resolve()
        .then(() => handler(request, call))
        .then(
          (response) => callback(null, response),
          (err: Partial<grpc.StatusObject>) => callback(err),
        );
    };
  }
  server.addService(serviceDefinition(WORKFLOW_SERVICE_NAME), implementation);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    port,
    calls,
    count: (method) => calls.filter((c) => c.method === method).length,
    last: (method) => calls.filter((c) => c.method === method).at(-1),
    close: async () => {
      server.forceShutdown();
    },
  };
}
