/**
 * Structured logs: records of the worker, its activities and its workflows carry the
 * fields that tell them apart (namespace, task queue, workflow and activity ids), and the
 * workflow logger and the sandbox's `console` write nothing for the parts of a run that are
 * replayed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { Context } from '../../src/activity';
import { Worker, Runtime, bundleWorkflowCode, type Logger } from '../../src/worker';
import { startBastionEnv, type BastionEnv } from '../helpers/bastion-env';
import { timed, waitFor } from '../helpers/wait';

const LOG_WORKFLOWS = path.resolve(__dirname, '../fixtures/log-workflows.js');
let bundle: Promise<{ code: string }> | undefined;
const logBundle = () => (bundle ??= bundleWorkflowCode({ workflowsPath: LOG_WORKFLOWS }));

interface Rec {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

function capture(): { logger: Logger; records: Rec[] } {
  const records: Rec[] = [];
  const at = (level: string) => (message: string, meta?: Record<string, unknown>) => void records.push({ level, message, meta: meta ?? {} });
  return { records, logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const activities = {
  async sayHello(name: string): Promise<string> {
    Context.current().log.info('activity says hello', { name });
    return `Hello, ${name}!`;
  },
};

const t = suite('structured logs');
let env: BastionEnv;
t.before(async () => {
  env = await startBastionEnv();
});
t.after(async () => {
  await env?.close();
});

t(
  'workflow records carry the run fields and are not written again when the run is replayed',
  timed(60_000, async () => {
    const { logger, records } = capture();
    // No cache: every workflow task rebuilds the run from history, replaying what came before.
    const worker = await env.worker('logs-1', { workflowBundle: await logBundle(), activities, logger, maxCachedWorkflows: 0 });
    const result = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start('chatty', { taskQueue: 'logs-1', workflowId: 'logs-wf-1', args: ['logs'] });
      await waitFor(() => records.some((r) => r.message === 'before the signal'), 20_000);
      await handle.signal('proceed');
      return handle.result();
    });
    assert.is(result, 'Hello, logs!');
    const fromWorkflow = records.filter((r) => r.meta.sdkComponent === 'workflow');
    assert.equal(
      fromWorkflow.map((r) => `${r.level} ${r.message}`),
      // console writes at once; `log` records go through the logger sink after the activation.
      ['info console before the signal: logs', 'info before the signal', 'warn console after the signal', 'warn after the signal'],
      'each workflow record (log and console) once, though the run was replayed by two later tasks',
    );
    const runId = fromWorkflow[0]!.meta.runId;
    assert.ok(typeof runId === 'string' && runId.length > 0);
    for (const r of fromWorkflow) {
      assert.equal(
        { ...r.meta, runId: undefined },
        {
          ...(r.message.startsWith('console') ? { source: 'workflow console', level: r.level === 'warn' ? 'warn' : 'log' } : { step: r.meta.step }),
          sdkComponent: 'workflow',
          namespace: 'default',
          taskQueue: 'logs-1',
          workflowId: 'logs-wf-1',
          runId: undefined,
          workflowType: 'chatty',
        },
      );
    }
    const fromActivity = records.find((r) => r.message === 'activity says hello');
    assert.ok(fromActivity, 'the activity record arrived');
    assert.is(fromActivity!.meta.name, 'logs');
    assert.is(fromActivity!.meta.sdkComponent, 'activity');
    assert.is(fromActivity!.meta.activityType, 'sayHello');
    assert.ok(typeof fromActivity!.meta.activityId === 'string');
    assert.is(fromActivity!.meta.workflowId, 'logs-wf-1');
    assert.is(fromActivity!.meta.runId, runId);
    assert.is(fromActivity!.meta.workflowType, 'chatty');
    assert.is(fromActivity!.meta.namespace, 'default');
    assert.is(fromActivity!.meta.taskQueue, 'logs-1');
    const stateChange = records.find((r) => r.message.startsWith('worker state'));
    assert.ok(stateChange, 'the worker logged its state changes');
    assert.is(stateChange!.meta.namespace, 'default');
    assert.is(stateChange!.meta.taskQueue, 'logs-1');
    assert.ok(
      records.every((r) => r.meta.namespace === 'default' && r.meta.taskQueue === 'logs-1'),
      'every record names the namespace and the task queue',
    );

    // Replaying the whole history (as a CI check would) writes no workflow record.
    const history = await env.client.workflow.getHandle('logs-wf-1').fetchHistory();
    const replayed = capture();
    Runtime.install({ logger: replayed.logger });
    try {
      await Worker.runReplayHistory({ workflowBundle: await logBundle() }, history as never);
    } finally {
      Runtime.install({});
    }
    assert.equal(
      replayed.records.filter((r) => r.meta.sdkComponent === 'workflow'),
      [],
    );
  }),
);

t(
  'user sinks get the run info; calls made while replaying reach only functions with callDuringReplay',
  timed(60_000, async () => {
    const live: string[] = [];
    const all: string[] = [];
    const worker = await env.worker('sinks-1', {
      workflowBundle: await logBundle(),
      activities,
      maxCachedWorkflows: 0,
      sinks: {
        alerts: { raise: { fn: (info: { workflowId: string }, message: string) => void live.push(`${info.workflowId} ${message}`) } },
      },
    });
    const replaying = await env.worker('sinks-2', {
      workflowBundle: await logBundle(),
      activities,
      maxCachedWorkflows: 0,
      sinks: { alerts: { raise: { fn: (_info: unknown, message: string) => void all.push(message), callDuringReplay: true } } },
    });
    await worker.runUntil(env.client.workflow.execute('sinky', { taskQueue: 'sinks-1', workflowId: 'sinks-wf-1' }));
    await replaying.runUntil(env.client.workflow.execute('sinky', { taskQueue: 'sinks-2', workflowId: 'sinks-wf-2' }));
    assert.equal(live, ['sinks-wf-1 first', 'sinks-wf-1 second']);
    assert.equal(all, ['first', 'first', 'second']);
  }),
);

t('a sink function that is not `{ fn }` is refused by Worker.create, naming it', async () => {
  try {
    await env.worker('sinks-bad', { sinks: { alerts: { raise: (() => undefined) as never } } });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_INVALID_OPTION');
    assert.match((err as Error).message, '`sinks.alerts.raise` must be `{ fn: (info, ...args) => void, callDuringReplay?: boolean }`');
  }
});

t.run();
