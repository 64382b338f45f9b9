/**
 * A WorkflowService whose calls are counted as Core's client counts them
 * (`request`/`long_request`, `_failure`, `_latency`), for a `Client` given its own
 * `metrics`: one data point per call (the connection's own metrics count each attempt).
 */
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import type { WorkflowService } from '../connection/workflow-service';
import type { MetricsRecorder } from './recorder';

const LONG_POLLS = new Set(['PollWorkflowTaskQueue', 'PollActivityTaskQueue', 'PollNexusTaskQueue', 'PollWorkflowExecutionUpdate']);

/** `service` with each call recorded into `recorder`; `service` itself when metrics are off. */
export function meteredWorkflowService(service: WorkflowService, recorder: MetricsRecorder): WorkflowService {
  if (!recorder.enabled) return service;
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(service as unknown as Record<string, (req: unknown, opts?: unknown) => Promise<unknown>>)) {
    const operation = name.charAt(0).toUpperCase() + name.slice(1);
    out[name] = async (request: unknown, options?: unknown) => {
      const r = (request ?? {}) as { namespace?: unknown; waitNewEvent?: unknown };
      const long = LONG_POLLS.has(operation) || (operation === 'GetWorkflowExecutionHistory' && r.waitNewEvent === true);
      const labels = { operation, namespace: typeof r.namespace === 'string' ? r.namespace : '' };
      recorder.count(long ? 'long_request' : 'request', labels);
      const began = performance.now();
      try {
        return await fn(request, options);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        recorder.count(long ? 'long_request_failure' : 'request_failure', {
          ...labels,
          status_code: typeof code === 'number' ? (grpc.status[code] ?? String(code)) : 'TRANSPORT_ERROR',
        });
        throw err;
      } finally {
        recorder.durationMs(long ? 'long_request_latency' : 'request_latency', labels, performance.now() - began);
      }
    };
  }
  return Object.freeze(out) as unknown as WorkflowService;
}
