/**
 * Bastion's worker running update handlers: judged by the official client, used by
 * Bastion's client, and replayed both ways (the official worker replays a history
 * Bastion's worker wrote, Bastion's replays one the official worker wrote).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { Connection as OfficialConnection, Client as OfficialClient, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { WorkflowUpdateFailedError as BastionUpdateFailedError, WorkflowUpdateStage } from '../../src/client';
import { quietLogger, startBastionEnv, type BastionEnv } from '../helpers/bastion-env';
import { BIN, runNode, spawnNode } from '../helpers/processes';
import { temporal } from '@temporalio/proto';
import type { History } from '../../src/client/client';
import { timed } from '../helpers/wait';
import { add, addSlowly, fail, finish, whoAmI, counter, noHandlers, finishSignal, hang, leavesHandlerRunning } from '../fixtures/update-workflows';

const WORKFLOWS = path.resolve(__dirname, '../fixtures/update-workflows.js');
const QUEUE = 'updates-bastion-worker';
const PROCESS = path.resolve(__dirname, '../fixtures/update-official-process.js');
const test = suite("updates on Bastion's worker");
let env: BastionEnv;
let official: OfficialClient;
let officialConnection: OfficialConnection;
let worker: Worker;
let running: Promise<void>;
let code: string;

test.before(async () => {
  env = await startBastionEnv();
  code = (await bundleWorkflowCode({ workflowsPath: WORKFLOWS })).code;
  worker = await env.worker(QUEUE, { workflowBundle: { code } });
  running = worker.run();
  officialConnection = await OfficialConnection.connect({ address: env.server.address });
  official = new OfficialClient({ connection: officialConnection });
});

test.after(async () => {
  void worker.shutdown();
  await running;
  await officialConnection.close();
  await env.close();
});

async function failureOf(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

test(
  'the official client: results, currentUpdateInfo, a handler with a timer, validator and handler failures, no handler',
  timed(30_000, async () => {
    const h = await official.workflow.start(counter, { taskQueue: QUEUE, workflowId: `bw-${randomUUID()}`, args: [5] });
    assert.is(await h.executeUpdate(add, { args: [5] }), 10);
    assert.is(await h.executeUpdate(whoAmI, { updateId: 'bw-me' }), 'whoAmI:bw-me');
    const slow = await h.startUpdate(addSlowly, { args: [1], waitForStage: WorkflowUpdateStage.ACCEPTED });
    assert.is(await slow.result(), 11);
    const rejected = await failureOf(h.executeUpdate(add, { args: [-1] }));
    assert.instance(rejected, WorkflowUpdateFailedError);
    assert.match(rejected.cause.message, /negative amounts are refused: -1/);
    const failed = await failureOf(h.executeUpdate(fail, { args: ['nope'] }));
    assert.instance(failed, WorkflowUpdateFailedError);
    assert.is(failed.cause.type, 'UpdateRefused');
    assert.is(await h.executeUpdate(finish), 11);
    assert.is(await h.result(), 11);
    const bare = await official.workflow.start(noHandlers, { taskQueue: QUEUE, workflowId: `bw-bare-${randomUUID()}` });
    const none = await failureOf(bare.executeUpdate(add, { args: [1] }));
    assert.match(none.cause.message, /No registered handler for update: add/);
    await bare.signal(finishSignal);
    assert.is(await bare.result(), 'done');
  }),
);

test(
  'the official client: update-with-start on a new and an existing workflow',
  timed(20_000, async () => {
    const workflowId = `bw-uws-${randomUUID()}`;
    const op = () => new WithStartWorkflowOperation(counter, { workflowId, taskQueue: QUEUE, args: [1], workflowIdConflictPolicy: 'USE_EXISTING' });
    assert.is(await official.workflow.executeUpdateWithStart(add, { args: [1], startWorkflowOperation: op() }), 2);
    assert.is(await official.workflow.executeUpdateWithStart(add, { args: [1], startWorkflowOperation: op() }), 3);
    const h = official.workflow.getHandle(workflowId);
    await h.executeUpdate(finish);
    assert.is(await h.result(), 3);
  }),
);

test(
  "Bastion's client with Bastion's worker",
  timed(20_000, async () => {
    const h = await env.client.workflow.start(counter, { taskQueue: QUEUE, workflowId: `bb-${randomUUID()}`, args: [0] });
    assert.is(await h.executeUpdate(add, { args: [2] }), 2);
    const u = await h.startUpdate(addSlowly, { args: [3], waitForStage: 'ACCEPTED', updateId: 'bb-slow' });
    assert.is(await h.getUpdateHandle<number>('bb-slow').result(), 5);
    assert.is(await u.result(), 5);
    assert.instance(await failureOf(h.executeUpdate(add, { args: [-2] })), BastionUpdateFailedError);
    assert.is(await h.executeUpdate(finish), 5);
    assert.is(await h.result(), 5);
  }),
);

test(
  'a workflow that returns while an update handler runs: the TMPRL1102 warning names it, and the caller gets the failure',
  timed(20_000, async () => {
    const warnings: Array<{ message: string }> = [];
    const logger = { ...quietLogger, warn: (message: string) => warnings.push({ message }) };
    const queue = `${QUEUE}-warn`;
    const w = await env.worker(queue, { workflowBundle: { code }, logger });
    await w.runUntil(async () => {
      const h = await official.workflow.start(leavesHandlerRunning, { taskQueue: queue, workflowId: `warn-${randomUUID()}` });
      const u = await h.startUpdate(hang, { waitForStage: WorkflowUpdateStage.ACCEPTED, updateId: 'left-running' });
      assert.is(await h.result(), 'left');
      const err = await failureOf(u.result());
      assert.instance(err, WorkflowUpdateFailedError);
      assert.match(err.cause.message, /Workflow completed before the Update completed/);
    });
    const warning = warnings.find((x) => x.message.includes('[TMPRL1102]'));
    assert.ok(warning, JSON.stringify(warnings));
    assert.match(warning!.message, /"name":"hang","id":"left-running"/);
  }),
);

test(
  'bastion workflow update execute prints the result (text and JSON); a refused update exits 1',
  timed(30_000, async () => {
    const h = await env.client.workflow.start(counter, { taskQueue: QUEUE, workflowId: `cli-${randomUUID()}`, args: [40] });
    const base = ['workflow', 'update'];
    const addr = ['--address', env.server.address];
    const text = await runNode([BIN, ...base, 'execute', '-w', h.workflowId, '--name', 'add', '--input', '2', ...addr]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /Result\s+42/);
    const asJson = await runNode([BIN, ...base, '-w', h.workflowId, '--name', 'add', '-i', '1', '--update-id', 'cli-1', '-o', 'json', ...addr]);
    assert.is(asJson.code, 0, asJson.stderr);
    assert.equal(JSON.parse(asJson.stdout), { name: 'add', updateId: 'cli-1', result: 43 });
    const refused = await runNode([BIN, ...base, 'execute', '-w', h.workflowId, '--name', 'add', '--input', '-5', ...addr]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /negative amounts are refused: -5/);
    await h.executeUpdate(finish);
    assert.is(await h.result(), 43);
  }),
);

async function updateHistory(taskQueue: string): Promise<{ workflowId: string; history: History }> {
  const h = await official.workflow.start(counter, { taskQueue, workflowId: `replay-${randomUUID()}`, args: [1] });
  await h.executeUpdate(add, { args: [2] });
  await h.executeUpdate(addSlowly, { args: [3] });
  await failureOf(h.executeUpdate(add, { args: [-3] }));
  await h.executeUpdate(finish);
  await h.result();
  const raw = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: h.workflowId } });
  return { workflowId: h.workflowId, history: raw.history! as History };
}

test(
  'replay both ways: the official worker replays a Bastion history with updates, and Bastion replays an official one',
  timed(90_000, async () => {
    const fromBastion = await updateHistory(QUEUE);
    await Worker.runReplayHistory({ workflowBundle: { code } }, fromBastion.history as never, fromBastion.workflowId);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-update-replay-'));
    const file = path.join(dir, 'history.bin');
    fs.writeFileSync(file, temporal.api.history.v1.History.encode(fromBastion.history as never).finish());
    const replayed = await runNode([PROCESS, 'replay'], { HISTORY_FILE: file, WORKFLOW_ID: fromBastion.workflowId }, 60_000);
    assert.is(replayed.code, 0, replayed.stderr);
    assert.match(replayed.stdout, /replay ok/);
    const queue = `${QUEUE}-official`;
    const ow = spawnNode([PROCESS, 'worker'], { ADDRESS: env.server.address, TASK_QUEUE: queue });
    try {
      await ow.waitFor(/worker running/, 60_000);
      const fromOfficial = await updateHistory(queue);
      await Worker.runReplayHistory({ workflowBundle: { code } }, fromOfficial.history as never, fromOfficial.workflowId);
    } finally {
      ow.kill();
      await ow.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test.run();
