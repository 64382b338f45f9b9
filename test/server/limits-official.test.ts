/**
 * The official @temporalio/worker and client meet the blob size limit: what they see
 * must be what Temporal Server shows them.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { Connection, Client, WorkflowFailedError, TerminatedFailure } from '@temporalio/client';
import { Worker, NativeConnection, DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { DevServer } from '../../src/testing';
import { installQuietRuntime } from '../helpers/official-env';
import { timed } from '../helpers/wait';

const E = temporal.api.enums.v1;
const MiB = 1024 * 1024;
const test = suite('dev server limits with the official SDK');
let server: DevServer;
let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let worker: Worker;
let running: Promise<void>;

test.before(async () => {
  installQuietRuntime();
  server = await DevServer.start({ logLevel: 'off' });
  connection = await Connection.connect({ address: server.address });
  nativeConnection = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection });
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '../fixtures/limit-workflows.js'),
    logger: new DefaultLogger('ERROR'),
  });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue: 'limits-official',
    workflowBundle,
    shutdownGraceTime: '1s',
    activities: { makeBlob: async (bytes: number) => 'b'.repeat(bytes) },
  });
  running = worker.run();
});
test.after(async () => {
  worker.shutdown();
  await running;
  await connection.close();
  await nativeConnection.close();
  await server.close();
});

test(
  'an activity returning more than the blob limit fails once with a server failure the workflow can catch',
  timed(30_000, async () => {
    const handle = await client.workflow.start('bigActivityResult', { taskQueue: 'limits-official', workflowId: 'official-big-activity', args: [3 * MiB] });
    assert.is(await handle.result(), 'ServerFailure: Complete result exceeds size limit.');
    const history = await handle.fetchHistory();
    const failed = history.events!.filter((e) => e.eventType === E.EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED);
    assert.is(failed.length, 1);
    assert.is(failed[0]!.activityTaskFailedEventAttributes!.retryState, E.RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE, 'not retried');
  }),
);

test(
  'a workflow returning more than the blob limit is terminated with BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES',
  timed(30_000, async () => {
    const handle = await client.workflow.start('bigResult', { taskQueue: 'limits-official', workflowId: 'official-big-result', args: [3 * MiB] });
    const err = await handle.result().catch((e) => e);
    assert.ok(err instanceof WorkflowFailedError, String(err));
    assert.ok(err.cause instanceof TerminatedFailure, String(err.cause));
    const d = await handle.describe();
    assert.is(d.status.name, 'TERMINATED');
    const history = await handle.fetchHistory();
    const wft = history.events!.find((e) => e.eventType === E.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
    assert.is(wft?.workflowTaskFailedEventAttributes?.cause, E.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_COMPLETE_WORKFLOW_EXECUTION_ATTRIBUTES);
  }),
);

test.run();
