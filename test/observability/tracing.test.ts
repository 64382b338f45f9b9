/**
 * Tracing across SDKs: an official client with @temporalio/interceptors-opentelemetry
 * starts a workflow that Bastion's worker runs (workflow and activity traced by Bastion's
 * interceptors); a Bastion client starts one that the official worker runs with the
 * official interceptors; one trace runs official client -> Bastion workflow -> official
 * activity and child workflow. Each time the spans of both SDKs form one trace, parent to
 * child. Local activities are traced as the official package traces them.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Client as OfficialClient } from '@temporalio/client';
import { bundleWorkflowCode as officialBundle, DefaultLogger } from '@temporalio/worker';
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
import { installInMemoryTracing, view, chainOf, childOf, inMemoryProvider, shapeOf, type SpanView } from '../helpers/otel';
import { timed, waitFor } from '../helpers/wait';

const exporter = installInMemoryTracing();
const OFFICIAL_WORKFLOW_INTERCEPTORS = require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

/** The fixture workflows bundled once with the official workflow interceptors. */
let tracedBundle: Promise<{ code: string }> | undefined;
function officialTracedBundle(): Promise<{ code: string }> {
  tracedBundle ??= officialBundle({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [OFFICIAL_WORKFLOW_INTERCEPTORS],
    logger: new DefaultLogger('ERROR'),
  });
  return tracedBundle;
}

/** An official worker traced by the official package: activity spans and workflow spans (through its sink) go to `traced`. */
async function officialTracedWorker(taskQueue: string, traced: ReturnType<typeof inMemoryProvider>) {
  return env.worker(taskQueue, {
    workflowBundle: await officialTracedBundle(),
    interceptors: {
      activity: [
        (ctx: import('@temporalio/activity').Context) => ({
          inbound: new OfficialActivityInterceptor(ctx, { tracer: traced.tracer('@temporalio/interceptor-activity') }),
        }),
      ],
    },
    sinks: { exporter: officialWorkflowExporter(traced.exporter, new Resource({})) },
  });
}

/**
 * A Bastion worker traced by Bastion's interceptors: its spans (workflow and activity) go to
 * `traced`, or without it through the global tracer provider to the global exporter.
 */
function bastionTracedWorker(taskQueue: string, traced?: ReturnType<typeof inMemoryProvider>) {
  return Worker.create({
    connection,
    taskQueue,
    workflowsPath: WORKFLOWS_PATH,
    activities: bastionActivities,
    logger: quietLogger,
    shutdownSignals: [],
    shutdownGraceTime: '1s',
    interceptors: {
      workflowModules: [WORKFLOW_INTERCEPTORS_MODULE],
      activity: [openTelemetryActivityInterceptors(traced && { tracer: traced.tracer('@temporalio/interceptor-activity') })],
    },
    sinks: { exporter: makeWorkflowExporter(traced?.exporter ?? exporter) },
  });
}

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
    const worker = await bastionTracedWorker('otel-to-bastion');
    const result = await worker.runUntil(client.workflow.execute('greet', { taskQueue: 'otel-to-bastion', workflowId: 'otel-1', args: ['trace'] }));
    assert.is(result, 'Hello, trace!');
    const spans = await waitFor(() => {
      const all = view(exporter.getFinishedSpans());
      return all.some((s) => s.name === 'RunWorkflow:greet') ? all : undefined;
    });
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
    const official = inMemoryProvider();
    const worker = await officialTracedWorker('otel-to-official', official);
    const result = await worker.runUntil(client.workflow.execute('greet', { taskQueue: 'otel-to-official', workflowId: 'otel-2', args: ['back'] }));
    assert.is(result, 'Hello, back!');
    const spans = await waitFor(() => {
      const all = view([...exporter.getFinishedSpans(), ...official.exporter.getFinishedSpans()]);
      return all.some((s) => s.name === 'RunWorkflow:greet') ? all : undefined;
    });
    const [start] = chainOf(spans, ['StartWorkflow:greet', 'RunWorkflow:greet', 'StartActivity:greet', 'RunActivity:greet']);
    assert.is(start!.parentSpanId, undefined);
    assert.is(start!.attributes.temporalWorkflowId, 'otel-2');
    assert.ok(typeof start!.attributes.run_id === 'string' && (start!.attributes.run_id as string).length > 0, 'the start span names the run');
  }),
);

t(
  'one trace official client -> Bastion workflow -> official activity and official child workflow, parent to child',
  timed(90_000, async () => {
    const official = inMemoryProvider();
    const bastion = inMemoryProvider();
    const client = new OfficialClient({
      connection: env.connection,
      interceptors: { workflow: [new OfficialClientInterceptor({ tracer: official.tracer('@temporalio/interceptor-client') })] },
    });
    const officialWorker = await officialTracedWorker('otel-chain-official', official);
    const bastionWorker = await bastionTracedWorker('otel-chain-bastion', bastion);
    const result = await bastionWorker.runUntil(
      officialWorker.runUntil(
        client.workflow.execute('handOff', { taskQueue: 'otel-chain-bastion', workflowId: 'otel-chain', args: ['chain', 'otel-chain-official'] }),
      ),
    );
    assert.is(result, 'Hello, chain! child:Hello, chain!');
    const SPANS_EXPECTED = 8;
    const made = () => ({ official: view(official.exporter.getFinishedSpans()), bastion: view(bastion.exporter.getFinishedSpans()) });
    // Workflow spans leave through sinks, which may run after the result is in.
    const { official: o, bastion: b } = await waitFor(() => {
      const m = made();
      return m.official.length + m.bastion.length >= SPANS_EXPECTED ? m : undefined;
    });
    const all: SpanView[] = [...o, ...b];
    assert.is(all.length, SPANS_EXPECTED, `spans: ${JSON.stringify(all.map((s) => s.name))}`);
    assert.equal([...new Set(all.map((s) => s.traceId))], [all[0]!.traceId], 'every span is in one trace');
    // Who made which span: the official client and worker wrote to `official`, Bastion's worker to `bastion`.
    const start = o.find((s) => s.name === 'StartWorkflow:handOff')!;
    assert.ok(start, 'the official client made StartWorkflow');
    assert.is(start.parentSpanId, undefined, 'the client span is the root');
    const run = childOf(b, start, 'RunWorkflow:handOff');
    const scheduleActivity = childOf(b, run, 'StartActivity:greet');
    const runActivity = childOf(o, scheduleActivity, 'RunActivity:greet');
    const startChild = childOf(b, run, 'StartChildWorkflow:child');
    const runChild = childOf(o, startChild, 'RunWorkflow:child');
    const childSchedule = childOf(o, runChild, 'StartActivity:greet');
    const childActivity = childOf(o, childSchedule, 'RunActivity:greet');
    assert.is(b.length, 3, 'Bastion made RunWorkflow, StartActivity and StartChildWorkflow');
    assert.is(run.attributes.workflowId, 'otel-chain');
    assert.is(run.attributes.taskQueue, 'otel-chain-bastion');
    assert.is(runActivity.attributes.temporalWorkflowId, 'otel-chain');
    assert.is(runChild.attributes.workflowId, 'otel-chain-child');
    assert.is(runChild.attributes.taskQueue, 'otel-chain-official');
    assert.is(childActivity.attributes.temporalWorkflowId, 'otel-chain-child');
    for (const s of all) assert.is(s.status, 1, `${s.name} ends OK`);
  }),
);

t(
  'local activities: StartActivity in the workflow, a RunActivity per attempt under it, the same tree as the official package makes',
  timed(90_000, async () => {
    const official = inMemoryProvider();
    const officialWorker = await officialTracedWorker('otel-local-official', official);
    const officialResult = await officialWorker.runUntil(
      env.client.workflow.execute('localGreet', { taskQueue: 'otel-local-official', workflowId: 'otel-local-official', args: ['la'] }),
    );
    const bastion = inMemoryProvider();
    const bastionWorker = await bastionTracedWorker('otel-local-bastion', bastion);
    const bastionResult = await bastionWorker.runUntil(
      env.client.workflow.execute('localGreet', { taskQueue: 'otel-local-bastion', workflowId: 'otel-local-bastion', args: ['la'] }),
    );
    assert.is(bastionResult, officialResult);
    // greet once; flaky fails twice then succeeds (three attempts of one local activity).
    const expected =
      'RunWorkflow:localGreet[1]{StartActivity:flaky[1]{RunActivity:flaky[1],RunActivity:flaky[2],RunActivity:flaky[2]},StartActivity:greet[1]{RunActivity:greet[1]}}';
    const shape = (p: ReturnType<typeof inMemoryProvider>) =>
      waitFor(() => {
        const spans = view(p.exporter.getFinishedSpans());
        return spans.some((s) => s.name === 'RunWorkflow:localGreet') ? spans : undefined;
      });
    const [o, b] = [await shape(official), await shape(bastion)];
    assert.is(shapeOf(o), expected, 'the official package traces local activities so');
    assert.is(shapeOf(b), expected);
    const run = b.find((s) => s.name === 'RunWorkflow:localGreet')!;
    const schedule = childOf(b, run, 'StartActivity:greet');
    const attempt = childOf(b, schedule, 'RunActivity:greet');
    assert.is(attempt.traceId, run.traceId);
    assert.is(attempt.attributes.temporalWorkflowId, 'otel-local-bastion', 'a local activity knows its workflow');
    assert.is(attempt.attributes.run_id, run.attributes.runId);
    assert.ok(typeof attempt.attributes.temporalActivityId === 'string');
  }),
);

t(
  'runs sharing a sandbox context at once each keep their own active span (the storage they share keeps them apart)',
  timed(60_000, async () => {
    exporter.reset();
    const client = new Client({ connection, interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } });
    const worker = await bastionTracedWorker('otel-concurrent');
    const ids = ['otel-c1', 'otel-c2', 'otel-c3', 'otel-c4', 'otel-c5'];
    // threeSteps schedules its second and third activity after awaits: other runs' activations come in between.
    const run = (workflowId: string) => client.workflow.execute('threeSteps', { taskQueue: 'otel-concurrent', workflowId, args: [workflowId] });
    await worker.runUntil(Promise.all(ids.map(run)));
    const spans = await waitFor(() => {
      const all = view(exporter.getFinishedSpans());
      return all.filter((s) => s.name === 'StartActivity:greet').length === 3 * ids.length ? all : undefined;
    });
    for (const id of ids) {
      const start = spans.find((s) => s.name === 'StartWorkflow:threeSteps' && s.attributes.temporalWorkflowId === id);
      assert.ok(start, `a StartWorkflow span for ${id}`);
      const ofTrace = spans.filter((s) => s.traceId === start!.traceId);
      const runSpan = childOf(ofTrace, start!, 'RunWorkflow:threeSteps');
      assert.is(runSpan.attributes.workflowId, id);
      const schedules = ofTrace.filter((s) => s.name === 'StartActivity:greet');
      assert.is(schedules.length, 3, `${id}'s trace has its three StartActivity spans`);
      for (const s of schedules) assert.is(s.parentSpanId, runSpan.spanId, `${id}'s StartActivity spans are children of its RunWorkflow`);
    }
  }),
);

t(
  'a local activity retried after a backoff timer opens a new StartActivity per schedule, as the official package traces it',
  timed(90_000, async () => {
    // Fails twice; backoffs of 20 and 40 ms are over the 10 ms threshold, so each retry is scheduled after a timer.
    const args = (sdk: string) => [`otel-backoff-${sdk}`, 2, '20ms', '10ms'];
    const official = inMemoryProvider();
    const officialWorker = await officialTracedWorker('otel-backoff-official', official);
    const officialResult = await officialWorker.runUntil(
      env.client.workflow.execute('localBackoff', { taskQueue: 'otel-backoff-official', workflowId: 'otel-backoff-official', args: args('official') }),
    );
    const bastion = inMemoryProvider();
    const bastionWorker = await bastionTracedWorker('otel-backoff-bastion', bastion);
    const bastionResult = await bastionWorker.runUntil(
      env.client.workflow.execute('localBackoff', { taskQueue: 'otel-backoff-bastion', workflowId: 'otel-backoff-bastion', args: args('bastion') }),
    );
    assert.is(bastionResult, officialResult);
    const expected =
      'RunWorkflow:localBackoff[1]{StartActivity:flaky[1]{RunActivity:flaky[1]},StartActivity:flaky[2]{RunActivity:flaky[2]},StartActivity:flaky[2]{RunActivity:flaky[2]}}';
    const spansOf = (p: ReturnType<typeof inMemoryProvider>) =>
      waitFor(() => {
        const spans = view(p.exporter.getFinishedSpans());
        return spans.some((s) => s.name === 'RunWorkflow:localBackoff') ? spans : undefined;
      });
    const [o, b] = [await spansOf(official), await spansOf(bastion)];
    assert.is(shapeOf(o), expected, 'the official package traces backoff timers so');
    assert.is(shapeOf(b), expected);
    // The schedules that end in a backoff end with the same error event in both.
    const backoffEnds = (p: ReturnType<typeof inMemoryProvider>) =>
      p.exporter
        .getFinishedSpans()
        .filter((s) => s.name === 'StartActivity:flaky' && s.status.code === 2)
        .map((s) => JSON.stringify([s.status.message, s.events.map((e) => [e.name, e.attributes?.['exception.type'], e.attributes?.['exception.message']])]));
    assert.is(backoffEnds(bastion).length, 2);
    assert.equal(backoffEnds(bastion), backoffEnds(official));
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
