/**
 * Tracing across SDKs: an official client with @temporalio/interceptors-opentelemetry
 * starts a workflow that Bastion's worker runs (workflow and activity traced by Bastion's
 * interceptors); a Bastion client starts one that the official worker runs with the
 * official interceptors. Each time the spans of both SDKs form one trace, parent to child,
 * in one in-memory exporter.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Client as OfficialClient } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor as OfficialClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  OpenTelemetryActivityInboundInterceptor as OfficialActivityInterceptor,
  makeWorkflowExporter as officialWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import { Resource } from '@opentelemetry/resources';
import { Connection } from '../../src/connection';
import { Client } from '../../src/client';
import { Worker } from '../../src/worker';
import {
  OpenTelemetryWorkflowClientInterceptor,
  WORKFLOW_INTERCEPTORS_MODULE,
  makeWorkflowExporter,
  openTelemetryActivityInterceptors,
  TRACE_HEADER,
} from '../../src/observability/tracing';
import { otelApi } from '../../src/observability/tracing/otel-api';
import * as bastionActivities from '../fixtures/bastion-activities';
import { startOfficialEnv, WORKFLOWS_PATH, type OfficialEnv } from '../helpers/official-env';
import { quietLogger } from '../helpers/bastion-env';
import { installInMemoryTracing, view, chainOf } from '../helpers/otel';
import { timed } from '../helpers/wait';

const exporter = installInMemoryTracing();
const OFFICIAL_WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

const t = suite('tracing across SDKs');
let env: OfficialEnv;
let connection: Connection;

t.before(async () => {
  env = await startOfficialEnv();
  connection = await Connection.connect({ address: env.server.address });
});
t.after(async () => {
  await connection?.close();
  await env?.close();
});

t(
  'official client -> Bastion workflow -> Bastion activity: one trace, parent to child',
  timed(60_000, async () => {
    exporter.reset();
    const client = new OfficialClient({ connection: env.connection, interceptors: { workflow: [new OfficialClientInterceptor()] } });
    const worker = await Worker.create({
      connection,
      taskQueue: 'otel-to-bastion',
      workflowsPath: WORKFLOWS_PATH,
      activities: bastionActivities,
      logger: quietLogger,
      shutdownSignals: [],
      shutdownGraceTime: '1s',
      interceptors: { workflowModules: [WORKFLOW_INTERCEPTORS_MODULE], activity: [openTelemetryActivityInterceptors()] },
      sinks: { exporter: makeWorkflowExporter(exporter) },
    });
    const result = await worker.runUntil(client.workflow.execute('greet', { taskQueue: 'otel-to-bastion', workflowId: 'otel-1', args: ['trace'] }));
    assert.is(result, 'Hello, trace!');
    const spans = view(exporter.getFinishedSpans());
    const [start, run, schedule, act] = chainOf(spans, ['StartWorkflow:greet', 'RunWorkflow:greet', 'StartActivity:greet', 'RunActivity:greet']);
    assert.is(start!.parentSpanId, undefined, 'the client span is the root');
    assert.is(start!.attributes.temporalWorkflowId, 'otel-1');
    assert.is(run!.attributes.workflowId, 'otel-1');
    assert.is(act!.attributes.temporalWorkflowId, 'otel-1');
    assert.ok(typeof act!.attributes.temporalActivityId === 'string');
    for (const s of [start, run, schedule, act]) assert.is(s!.status, 1, `${s!.name} ends OK`);
    // Each workflow span is exported once, though later tasks of the run replay nothing here (cached) — no duplicates.
    assert.is(spans.filter((s) => s.name === 'RunWorkflow:greet').length, 1);
  }),
);

t(
  'Bastion client -> official workflow -> official activity: one trace, parent to child',
  timed(60_000, async () => {
    exporter.reset();
    const client = new Client({ connection, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
    const worker = await env.worker('otel-to-official', {
      workflowBundle: undefined,
      workflowsPath: WORKFLOWS_PATH,
      interceptors: {
        workflowModules: [OFFICIAL_WORKFLOW_INTERCEPTORS],
        activity: [(ctx: import('@temporalio/activity').Context) => ({ inbound: new OfficialActivityInterceptor(ctx) })],
      },
      sinks: { exporter: officialWorkflowExporter(exporter, new Resource({})) },
    });
    const result = await worker.runUntil(client.workflow.execute('greet', { taskQueue: 'otel-to-official', workflowId: 'otel-2', args: ['back'] }));
    assert.is(result, 'Hello, back!');
    const spans = view(exporter.getFinishedSpans());
    const [start] = chainOf(spans, ['StartWorkflow:greet', 'RunWorkflow:greet', 'StartActivity:greet', 'RunActivity:greet']);
    assert.is(start!.parentSpanId, undefined);
    assert.is(start!.attributes.temporalWorkflowId, 'otel-2');
    assert.ok(typeof start!.attributes.run_id === 'string' && (start!.attributes.run_id as string).length > 0, 'the start span names the run');
  }),
);

t('the header carries a W3C traceparent as a json/plain payload, as the official package writes it', async () => {
  const { headersWithContext } = await import('../../src/observability/tracing');
  const api = otelApi();
  const tracer = api.trace.getTracer('t');
  await tracer.startActiveSpan('outer', async (span) => {
    const headers = headersWithContext({});
    const payload = headers[TRACE_HEADER]!;
    assert.is(Buffer.from(payload.metadata!.encoding as Uint8Array).toString(), 'json/plain');
    const carrier = JSON.parse(Buffer.from(payload.data as Uint8Array).toString()) as { traceparent: string };
    assert.is(carrier.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    span.end();
  });
});

t('without @opentelemetry/api, tracing fails with a coded error naming the package and range', () => {
  const missing = (id: string) => {
    throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
  };
  try {
    otelApi(missing);
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_TRACING_OTEL_MISSING');
    assert.match((err as Error).message, '`@opentelemetry/api` (^1.9.0)');
  }
});

t.run();
