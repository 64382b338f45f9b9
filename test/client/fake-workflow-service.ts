/**
 * A fake WorkflowService for Client unit tests: the recording grpc-js server of
 * test/connection on 127.0.0.1 port 0, whose handlers a test swaps per test, a Bastion
 * Connection to it, and payload helpers to build canned answers and read requests.
 */
import type * as grpc from '@grpc/grpc-js';
import { Connection } from '../../src/index';
import { Client, type ClientOptions } from '../../src/client';
import { defaultPayloadConverter, type Payload } from '../../src/converter';
import { startRecordingServer, type Handler, type RecordedCall, type RecordingServer } from '../connection/recording-server';

export { grpcError } from '../connection/recording-server';

/** Methods the Client calls; each is routed to the handler the current test set. */
const METHODS = [
  'StartWorkflowExecution',
  'SignalWorkflowExecution',
  'SignalWithStartWorkflowExecution',
  'QueryWorkflow',
  'RequestCancelWorkflowExecution',
  'TerminateWorkflowExecution',
  'DescribeWorkflowExecution',
  'ListWorkflowExecutions',
  'CountWorkflowExecutions',
  'GetWorkflowExecutionHistory',
] as const;
export type Method = (typeof METHODS)[number];

export interface FakeService {
  server: RecordingServer;
  connection: Connection;
  /** Sets the answers for this test; methods not given answer UNIMPLEMENTED. Clears recorded calls. */
  answer(handlers: Partial<Record<Method, Handler>>): void;
  /** The recorded calls of one method, in order. */
  calls(method: Method): RecordedCall[];
  /** A Client on the connection. */
  client(options?: Partial<ClientOptions>): Client;
  close(): Promise<void>;
}

export async function startFakeService(): Promise<FakeService> {
  let current: Partial<Record<string, Handler>> = {};
  const routed: Record<string, Handler> = {};
  for (const m of METHODS) {
    routed[m] = (request, call) => {
      const h = current[m];
      if (!h) throw { code: 12 /* UNIMPLEMENTED */, details: `${m} has no answer in this test` } as Partial<grpc.StatusObject>;
      return h(request, call);
    };
  }
  const server = await startRecordingServer(routed);
  const connection = await Connection.connect({ address: server.address, retry: { maxAttempts: 1, initialIntervalMs: 5, maxIntervalMs: 5 } });
  return {
    server,
    connection,
    answer(handlers) {
      current = handlers;
      server.calls.length = 0;
    },
    calls: (method) => server.calls.filter((c) => c.method === method),
    client: (options = {}) => new Client({ connection, namespace: 'unit-ns', identity: 'unit-identity', ...options }),
    async close() {
      await connection.close();
      await server.close();
    },
  };
}

/** A json/plain payload of `value` (what the default converter writes). */
export function payload(value: unknown): Payload {
  return defaultPayloadConverter.toPayload(value) as Payload;
}

/** The value of a payload as the server received it. */
export function valueOf(p: unknown): unknown {
  return defaultPayloadConverter.fromPayload(p as Payload);
}

/** The values of a decoded `Payloads` message. */
export function valuesOf(ps: unknown): unknown[] {
  return ((ps as { payloads?: unknown[] } | null)?.payloads ?? []).map(valueOf);
}

/** The UTF-8 text of a payload's metadata entry. */
export function metadataText(p: unknown, key: string): string {
  const bytes = (p as { metadata?: Record<string, Uint8Array> }).metadata?.[key];
  return bytes ? Buffer.from(bytes).toString('utf8') : '';
}

/** Milliseconds of a decoded google.protobuf.Duration (seconds may be a Long). */
export function durationMs(d: unknown): number | undefined {
  if (!d) return undefined;
  const { seconds, nanos } = d as { seconds?: unknown; nanos?: number };
  return Number(seconds?.toString() ?? 0) * 1000 + (nanos ?? 0) / 1e6;
}

/** A GetWorkflowExecutionHistory answer with one close event. */
export function closeEvent(eventType: number, attributesField: string, attributes: object, nextPageToken?: Uint8Array): object {
  return { history: { events: [{ eventId: 10, eventType, [attributesField]: attributes }] }, nextPageToken };
}
