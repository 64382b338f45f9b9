/**
 * The operator commands (`task-queue describe`, `workflow list|describe|show`) against an
 * in-process dev server driven with raw WorkflowService calls.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { temporal } from '@temporalio/proto';
import { BastionError } from '../../src/common/errors';
import { toNumber } from '../../src/common/proto';
import { Connection } from '../../src/connection';
import { DevServer } from '../../src/testing';
import { historyFromJson } from '../../src/engine/history-json';
import { makeTestPki, removeTestPki } from '../helpers/certs';
import { BIN, freePort, spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';
import { runCli } from '../helpers/cli-capture';
import { officialHistoryJson } from '../helpers/official-history-json';

const E = temporal.api.enums.v1;
const ET = E.EventType;
const test = suite('bastion operator commands');

let server: DevServer;
let conn: Connection;
let addr: string[];
const savedEnv: Record<string, string | undefined> = {};
const ENV_NAMES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
];

const json = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });
const secs = (s: number) => ({ seconds: s as never });

const run = runCli;

test.before(async () => {
  for (const name of ENV_NAMES) {
    savedEnv[name] = process.env[name];
    delete process.env[name];
  }
  server = await DevServer.start({ logLevel: 'off' });
  addr = ['--address', server.address];
  conn = await Connection.connect({ address: server.address });
  const svc = conn.workflowService;
  const ns = 'default';

  // order-1: one worker polls both task types; its activity fails once and waits to retry.
  await svc.startWorkflowExecution({
    namespace: ns,
    workflowId: 'order-1',
    workflowType: { name: 'OrderWorkflow' },
    taskQueue: { name: 'orders' },
    requestId: 'r-order-1',
    input: { payloads: [json({ order: 42 })] },
  });
  const wft = await svc.pollWorkflowTaskQueue({ namespace: ns, taskQueue: { name: 'orders' }, identity: 'worker-a@host' });
  await svc.respondWorkflowTaskCompleted({
    namespace: ns,
    taskToken: wft.taskToken,
    identity: 'worker-a@host',
    commands: [
      {
        commandType: E.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
        scheduleActivityTaskCommandAttributes: {
          activityId: 'a1',
          activityType: { name: 'chargeCard' },
          taskQueue: { name: 'orders' },
          input: { payloads: [json('card-4242')] },
          startToCloseTimeout: secs(30),
          retryPolicy: { initialInterval: secs(600), maximumAttempts: 5 },
        },
      },
    ],
  });
  const act = await svc.pollActivityTaskQueue({ namespace: ns, taskQueue: { name: 'orders' }, identity: 'worker-a@host' });
  await svc.respondActivityTaskFailed({
    namespace: ns,
    taskToken: act.taskToken,
    identity: 'worker-a@host',
    failure: { message: 'card declined', applicationFailureInfo: { type: 'CardDeclined' } },
  });

  // refund-1: signalled, then completed with a result.
  await svc.startWorkflowExecution({
    namespace: ns,
    workflowId: 'refund-1',
    workflowType: { name: 'RefundWorkflow' },
    taskQueue: { name: 'refunds' },
    requestId: 'r-refund-1',
  });
  await svc.signalWorkflowExecution({
    namespace: ns,
    workflowExecution: { workflowId: 'refund-1' },
    signalName: 'approve',
    input: { payloads: [json({ by: 'ops' })] },
  });
  const wft2 = await svc.pollWorkflowTaskQueue({ namespace: ns, taskQueue: { name: 'refunds' }, identity: 'worker-b@host' });
  await svc.respondWorkflowTaskCompleted({
    namespace: ns,
    taskToken: wft2.taskToken,
    identity: 'worker-b@host',
    commands: [
      {
        commandType: E.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
        completeWorkflowExecutionCommandAttributes: { result: { payloads: [json({ refunded: true })] } },
      },
    ],
  });
});

test.after(async () => {
  await conn?.close();
  await server?.close();
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

test(
  'task-queue describe lists each polling worker, the task types it polls and when',
  timed(10_000, async () => {
    const text = await run(['task-queue', 'describe', '--task-queue', 'orders', ...addr]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /^IDENTITY\s+POLLS\s+LAST ACCESS$/m);
    assert.match(text.stdout, /^worker-a@host\s+workflow, activity\s+\d{4}-\d\d-\d\dT[\d:.]+Z \(\d+ s ago\)$/m);
    const j = await run(['task-queue', 'describe', '-t', 'orders', '--output', 'json', ...addr]);
    const doc = JSON.parse(j.stdout);
    assert.is(doc.taskQueue, 'orders');
    assert.is(doc.namespace, 'default');
    assert.equal(
      doc.pollers.map((p: { identity: string; types: string[] }) => [p.identity, p.types]),
      [['worker-a@host', ['workflow', 'activity']]],
    );
    assert.ok(Date.now() - Date.parse(doc.pollers[0].lastAccessTime) < 60_000, 'lastAccessTime is recent');
  }),
);

test(
  'task-queue describe says how to start a worker when nobody polls the queue',
  timed(10_000, async () => {
    const r = await run(['task-queue', 'describe', '--task-queue', 'nobody-here', ...addr]);
    assert.is(r.code, 0);
    assert.is(r.stdout, "No workers are polling task queue nobody-here in namespace default. Start a worker with taskQueue: 'nobody-here'.\n");
    const j = await run(['task-queue', 'describe', '--task-queue', 'nobody-here', '-o', 'json', ...addr]);
    assert.equal(JSON.parse(j.stdout), { taskQueue: 'nobody-here', namespace: 'default', pollers: [] });
  }),
);

test(
  'workflow list filters with --query and stops at --limit',
  timed(10_000, async () => {
    const all = await run(['workflow', 'list', ...addr]);
    assert.is(all.code, 0, all.stderr);
    assert.match(all.stdout, /^WORKFLOW ID\s+RUN ID\s+TYPE\s+STATUS\s+START TIME\s+CLOSE TIME$/m);
    assert.match(all.stdout, /^order-1\s+[0-9a-f-]{36}\s+OrderWorkflow\s+Running\s+\S+Z\s+-$/m);
    assert.match(all.stdout, /^refund-1\s+[0-9a-f-]{36}\s+RefundWorkflow\s+Completed\s+\S+Z\s+\S+Z$/m);
    const orders = await run(['workflow', 'list', '--query', "WorkflowType = 'OrderWorkflow'", ...addr]);
    assert.match(orders.stdout, /order-1/);
    assert.not.match(orders.stdout, /refund-1/);
    const done = await run(['workflow', 'list', '-q', "ExecutionStatus = 'Completed'", '-o', 'json', ...addr]);
    const list = JSON.parse(done.stdout);
    assert.equal(
      list.map((e: { execution: { workflowId: string } }) => e.execution.workflowId),
      ['refund-1'],
    );
    assert.is(list[0].status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
    const one = await run(['workflow', 'list', '--limit', '1', '-o', 'json', ...addr]);
    assert.is(JSON.parse(one.stdout).length, 1);
    const none = await run(['workflow', 'list', '--query', "WorkflowId = 'missing'", ...addr]);
    assert.match(none.stdout, /No workflow executions in namespace default match/);
  }),
);

test(
  'workflow list reports a query the server rejects, with its words, exit 1',
  timed(10_000, async () => {
    const r = await run(['workflow', 'list', '--query', 'WorkflowType ~ 1', ...addr]);
    assert.is(r.code, 1);
    assert.match(r.stderr, /^bastion: ListWorkflowExecutions failed: INVALID_ARGUMENT: .*`query`/);
  }),
);

test(
  'workflow describe shows status, task queue and the pending activity with its last failure',
  timed(10_000, async () => {
    const r = await run(['workflow', 'describe', '--workflow-id', 'order-1', ...addr]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, /Type\s+OrderWorkflow/);
    assert.match(r.stdout, /Status\s+Running/);
    assert.match(r.stdout, /Task queue\s+orders/);
    assert.match(r.stdout, /History length\s+5/);
    assert.match(r.stdout, /Pending activities: 1/);
    assert.match(r.stdout, /a1\s+chargeCard\s+Scheduled\s+2 of 5\s+ApplicationFailure\(CardDeclined\): card declined/);
    assert.match(r.stdout, /Pending children: 0/);
    const j = await run(['workflow', 'describe', '-w', 'order-1', '-o', 'json', ...addr]);
    const doc = JSON.parse(j.stdout);
    assert.is(doc.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.is(doc.workflowExecutionInfo.historyLength, '5');
    assert.is(doc.pendingActivities[0].activityType.name, 'chargeCard');
    assert.is(doc.pendingActivities[0].lastFailure.message, 'card declined');
    assert.match(doc.workflowExecutionInfo.startTime, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  }),
);

test(
  'workflow show prints one line per event with a short summary',
  timed(10_000, async () => {
    const r = await run(['workflow', 'show', '--workflow-id', 'refund-1', ...addr]);
    assert.is(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ID\s+TIME\s+TYPE\s+DETAILS$/);
    assert.equal(
      lines.slice(1).map((l) => l.split(/\s+/)[2]),
      [
        'WorkflowExecutionStarted',
        'WorkflowTaskScheduled',
        'WorkflowExecutionSignaled',
        'WorkflowTaskStarted',
        'WorkflowTaskCompleted',
        'WorkflowExecutionCompleted',
      ],
    );
    assert.match(lines[1]!, /^1\s+\S+Z\s+WorkflowExecutionStarted\s+type=RefundWorkflow .*taskQueue=refunds/);
    assert.match(r.stdout, /WorkflowExecutionSignaled\s+signal=approve input=\{"by":"ops"\}$/m);
    assert.match(r.stdout, /WorkflowExecutionCompleted\s+result=\{"refunded":true\}$/m);
    const order = await run(['workflow', 'show', '-w', 'order-1', ...addr]);
    assert.match(order.stdout, /ActivityTaskScheduled\s+activity=chargeCard activityId=a1 taskQueue=orders input="card-4242"$/m);
  }),
);

test(
  'workflow show --output json is the history in proto3 JSON, as the official tools write it, and round-trips',
  timed(10_000, async () => {
    const r = await run(['workflow', 'show', '-w', 'refund-1', '--output', 'json', ...addr]);
    assert.is(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    const e0 = doc.events[0];
    assert.is(e0.eventId, '1');
    assert.is(e0.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
    assert.match(e0.eventTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.is(e0.workflowExecutionStartedEventAttributes.taskQueue.kind, 'TASK_QUEUE_KIND_NORMAL');
    assert.is(e0.workflowExecutionStartedEventAttributes.workflowTaskTimeout, '10s');

    const raw = (await conn.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'refund-1' } })).history!;
    // What the official SDK's historyToJSON writes, byte for byte.
    const { historyToJSON, historyFromJSON } = officialHistoryJson();
    const rawBytes = temporal.api.history.v1.History.encode(raw as temporal.api.history.v1.History).finish();
    assert.is(r.stdout.trim(), historyToJSON(temporal.api.history.v1.History.decode(rawBytes)));

    const back = historyFromJson(r.stdout);
    assert.is(back.events.length, raw.events!.length);
    back.events.forEach((e, i) => {
      const want = raw.events![i]!;
      assert.is(toNumber(e.eventId), toNumber(want.eventId));
      assert.is(e.eventType, want.eventType);
      assert.is(toNumber(e.eventTime!.seconds), toNumber(want.eventTime!.seconds));
      assert.is(e.eventTime!.nanos, want.eventTime!.nanos);
      assert.is(e.attributes, want.attributes);
    });
    const started = back.events[0]!.workflowExecutionStartedEventAttributes!;
    assert.is(started.workflowType!.name, 'RefundWorkflow');
    assert.is(started.taskQueue!.kind, E.TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
    assert.is(toNumber(started.workflowTaskTimeout!.seconds), 10);
    const signaled = back.events.find((e) => e.eventType === ET.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)!.workflowExecutionSignaledEventAttributes!;
    assert.is(signaled.signalName, 'approve');
    const result = back.events.at(-1)!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!;
    assert.is(Buffer.from(result.data!).toString(), '{"refunded":true}');
    assert.is(Buffer.from(result.metadata!.encoding!).toString(), 'json/plain');
    // The encoded form is the same as the server's.
    assert.equal(Buffer.from(temporal.api.history.v1.History.encode(back).finish()), Buffer.from(rawBytes));
    // And the official reader reads our output back to the same bytes.
    const theirs = historyFromJSON(doc);
    assert.equal(Buffer.from(temporal.api.history.v1.History.encode(theirs as never).finish()), Buffer.from(rawBytes));
  }),
);

test('historyFromJson accepts enum shorthand, numbers and the CLI payload shorthand', () => {
  const doc = {
    events: [
      {
        eventId: '1',
        eventTime: '2024-05-01T10:00:00.123456Z',
        eventType: 'WorkflowExecutionStarted',
        workflowExecutionStartedEventAttributes: {
          workflowType: { name: 'wf' },
          taskQueue: { name: 'q', kind: 'Normal' },
          input: [{ order: 1 }, null],
          workflowRunTimeout: '1.5s',
        },
      },
      { event_id: '2', event_type: 5, workflow_task_scheduled_event_attributes: { task_queue: { name: 'q' }, attempt: 1 } },
      {
        eventId: '3',
        eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
        workflowExecutionCompletedEventAttributes: { result: { payloads: ['done'] } },
        someFieldFromTheFuture: 1,
      },
    ],
  };
  const h = historyFromJson(doc);
  assert.equal(
    h.events.map((e) => e.eventType),
    [ET.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, ET.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, ET.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED],
  );
  const started = h.events[0]!.workflowExecutionStartedEventAttributes!;
  assert.is(started.taskQueue!.kind, E.TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
  assert.is(h.events[0]!.eventTime!.nanos, 123_456_000);
  assert.is(started.workflowRunTimeout!.nanos, 500_000_000);
  const [first, second] = started.input!.payloads!;
  assert.is(Buffer.from(first!.data!).toString(), '{"order":1}');
  assert.is(Buffer.from(first!.metadata!.encoding!).toString(), 'json/plain');
  assert.is(Buffer.from(second!.metadata!.encoding!).toString(), 'binary/null');
  assert.is(h.events[1]!.workflowTaskScheduledEventAttributes!.taskQueue!.name, 'q');
  assert.is(toNumber(h.events[1]!.eventId), 2);
  assert.is(Buffer.from(h.events[2]!.workflowExecutionCompletedEventAttributes!.result!.payloads![0]!.data!).toString(), '"done"');
});

test('historyFromJson rejects what is not a history, naming the event and the field', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof BastionError);
      return err as BastionError;
    }
    throw new Error('expected historyFromJson to throw');
  };
  assert.is(code(() => historyFromJson({ history: [] })).code, 'ERR_HISTORY_JSON_INVALID');
  assert.match(code(() => historyFromJson('{not json')).message, /not valid JSON/);
  const badEnum = code(() => historyFromJson({ events: [{ eventId: '1', eventType: 'WorkflowExploded' }] }));
  assert.match(badEnum.message, /`events\[0\] \(eventId 1\)\.eventType` is "WorkflowExploded", which is not a value of EventType/);
  const badTime = code(() => historyFromJson({ events: [{ eventId: '7', eventTime: 'yesterday', eventType: 'EVENT_TYPE_TIMER_FIRED' }] }));
  assert.is(badTime.code, 'ERR_HISTORY_JSON_INVALID');
  assert.match(badTime.message, /events\[0\] \(eventId 7\).*Timestamp/);
});

test(
  'a workflow that does not exist: exit 1, naming it and the namespace',
  timed(10_000, async () => {
    for (const cmd of ['describe', 'show']) {
      const r = await run(['workflow', cmd, '--workflow-id', 'no-such-wf', ...addr]);
      assert.is(r.code, 1);
      assert.match(r.stderr, /^bastion: Workflow no-such-wf was not found in namespace default\./);
      assert.is(r.stdout, '');
    }
    const ns = await run(['workflow', 'list', '--namespace', 'no-such-ns', ...addr]);
    assert.is(ns.code, 1);
    assert.match(ns.stderr, /Namespace no-such-ns was not found/);
  }),
);

test(
  'an unreachable server: exit 1 with the connection error naming the address and TLS state',
  timed(15_000, async () => {
    const port = await freePort();
    const r = await run(['workflow', 'list', '--address', `127.0.0.1:${port}`]);
    assert.is(r.code, 1);
    assert.match(r.stderr, new RegExp(`^bastion: Could not connect to 127\\.0\\.0\\.1:${port} \\(plaintext\\): UNAVAILABLE`));
    assert.match(r.stderr, /pass `--tls`/);
  }),
);

test(
  'bad flags exit 2 through the usage error path',
  timed(10_000, async () => {
    const unknown = await run(['workflow', 'list', '--bogus', ...addr]);
    assert.is(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown flag `--bogus` for `workflow list`\. Known flags: .*--address/);
    const missing = await run(['workflow', 'describe', ...addr]);
    assert.is(missing.code, 2);
    assert.match(missing.stderr, /`--workflow-id` is required/);
    const output = await run(['task-queue', 'describe', '-t', 'q', '--output', 'yaml', ...addr]);
    assert.is(output.code, 2);
    assert.match(output.stderr, /`--output` must be text \(or table\), json, jsonl or none, got "yaml"/);
    const table = await run(['task-queue', 'describe', '-t', 'q', '--output', 'table', ...addr]);
    assert.is(table.code, 0, table.stderr);
    const limit = await run(['workflow', 'list', '--limit', '0', ...addr]);
    assert.is(limit.code, 2);
    const tlsOff = await run(['workflow', 'list', '--tls=false', '--tls-ca-path', 'ca.pem', ...addr]);
    assert.is(tlsOff.code, 2);
    assert.match(tlsOff.stderr, /`--tls=false` turns TLS off, but `--tls-ca-path` is TLS input/);
  }),
);

test(
  'flags win over TEMPORAL_* variables, and variables fill in what flags leave out',
  timed(15_000, async () => {
    const port = await freePort();
    try {
      process.env.TEMPORAL_ADDRESS = `127.0.0.1:${port}`;
      const flagWins = await run(['task-queue', 'describe', '-t', 'orders', ...addr]);
      assert.is(flagWins.code, 0, flagWins.stderr);
      process.env.TEMPORAL_ADDRESS = server.address;
      process.env.TEMPORAL_NAMESPACE = 'no-such-ns';
      const fromEnv = await run(['workflow', 'list']);
      assert.is(fromEnv.code, 1);
      assert.match(fromEnv.stderr, /Namespace no-such-ns was not found/);
      const nsFlag = await run(['workflow', 'list', '--namespace', 'default', '-o', 'json']);
      assert.is(nsFlag.code, 0, nsFlag.stderr);
      process.env.TEMPORAL_TLS_SERVER_CA_CERT_PATH = '/nonexistent/ca.pem';
      const envTls = await run(['workflow', 'list']);
      assert.is(envTls.code, 1);
      assert.match(envTls.stderr, /`TEMPORAL_TLS_SERVER_CA_CERT_PATH` is not PEM text/);
      const plain = await run(['workflow', 'list', '--tls=false', '-n', 'default']);
      assert.is(plain.code, 0, `--tls=false wins over TLS variables: ${plain.stderr}`);
    } finally {
      delete process.env.TEMPORAL_ADDRESS;
      delete process.env.TEMPORAL_NAMESPACE;
      delete process.env.TEMPORAL_TLS_SERVER_CA_CERT_PATH;
    }
  }),
);

test(
  'mutual TLS with --tls-ca-path, --tls-cert-path, --tls-key-path and --tls-server-name',
  timed(20_000, async () => {
    const pki = await makeTestPki();
    const tlsServer = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.certPath, key: pki.server.keyPath, clientCa: pki.ca.certPath } });
    try {
      const tlsAddr = ['--address', tlsServer.address, '--tls-ca-path', pki.ca.certPath, '--tls-server-name', 'localhost'];
      const ok = await run([
        'task-queue',
        'describe',
        '-t',
        'orders',
        ...tlsAddr,
        '--tls-cert-path',
        pki.client.certPath,
        '--tls-key-path',
        pki.client.keyPath,
      ]);
      assert.is(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /No workers are polling task queue orders/);
      const half = await run(['task-queue', 'describe', '-t', 'orders', ...tlsAddr, '--tls-cert-path', pki.client.certPath]);
      assert.is(half.code, 1);
      assert.match(half.stderr, /`--tls-cert-path` and `--tls-key-path` must be given together/);
      const noCert = await run(['task-queue', 'describe', '-t', 'orders', ...tlsAddr]);
      assert.is(noCert.code, 1);
      assert.match(noCert.stderr, new RegExp(`Could not connect to ${tlsServer.address.replace(/\./g, '\\.')} \\(TLS on, no client certificate\\)`));
    } finally {
      await tlsServer.close();
      removeTestPki(pki);
    }
  }),
);

test(
  'bin/bastion.js runs operator commands and sets the exit code',
  timed(20_000, async () => {
    const ok = spawnNode([BIN, 'task-queue', 'describe', '--task-queue', 'orders'], { TEMPORAL_ADDRESS: server.address });
    assert.is((await ok.exited).code, 0, ok.output());
    assert.match(ok.output(), /worker-a@host\s+workflow, activity/);
    const missing = spawnNode([BIN, 'workflow', 'show', '-w', 'no-such-wf', '--address', server.address]);
    assert.is((await missing.exited).code, 1);
    assert.match(missing.output(), /Workflow no-such-wf was not found in namespace default/);
  }),
);

test(
  'help lists the operator commands and their connection flags',
  timed(5_000, async () => {
    const group = await run(['workflow']);
    assert.is(group.code, 2);
    assert.match(group.stderr, /`workflow` needs a command.*workflow start, .*workflow list, workflow count, workflow describe, workflow show/);
    const r = await run(['--help']);
    for (const c of [
      'server start-dev',
      'task-queue describe',
      'workflow list',
      'workflow describe',
      'workflow show',
      'workflow start',
      'workflow stack',
      'operator namespace',
      '--tls-ca-path',
      'TEMPORAL_ADDRESS',
      '--grpc-meta',
      '--codec-endpoint',
    ])
      assert.ok(r.stdout.includes(c), c);
    const show = await run(['workflow', 'show', '--help']);
    assert.is(show.code, 0);
    assert.match(show.stdout, /--workflow-id/);
  }),
);

test.run();
