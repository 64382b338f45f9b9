/**
 * Bastion's worker running update handlers: judged by the official client, used by
 * Bastion's client and CLI, and replayed both ways, as binary protobuf and as history
 * JSON: the official worker replays a history Bastion's worker wrote (its JSON exported
 * by Bastion's `historyToJson` and read by the official `historyFromJSON`), Bastion's
 * replays one the official worker wrote (its JSON exported by the official
 * `historyToJSON`).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { randomUUID } from 'node:crypto';
import { Connection as OfficialConnection, Client as OfficialClient, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { Worker } from '../../src/worker';
import { WorkflowUpdateFailedError as BastionUpdateFailedError, WorkflowUpdateStage } from '../../src/client';
import { historyToJson } from '../../src/engine/history-json';
import { bastionBundle, quietLogger, startBastionEnv, type BastionEnv } from '../helpers/bastion-env';
import { UPDATE_WORKFLOWS_PATH } from '../helpers/update-env';
import { officialHistoryJson } from '../helpers/official-history-json';
import { rejection } from '../helpers/errors';
import { runCli } from '../helpers/cli-capture';
import { spawnNode } from '../helpers/processes';
import { temporal } from '@temporalio/proto';
import type { History } from '../../src/client/client';
import { timed } from '../helpers/wait';
import { add, addSlowly, fail, finish, whoAmI, counter, noHandlers, finishSignal, hang, leavesHandlerRunning } from '../fixtures/update-workflows';

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
  env = await startBastionEnv({}, { fixtureWorkflows: false });
  code = (await bastionBundle(UPDATE_WORKFLOWS_PATH)).code;
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

test(
  'the official client: results, currentUpdateInfo, a handler with a timer, validator and handler failures, no handler',
  timed(30_000, async () => {
    const h = await official.workflow.start(counter, { taskQueue: QUEUE, workflowId: `bw-${randomUUID()}`, args: [5] });
    assert.is(await h.executeUpdate(add, { args: [5] }), 10);
    assert.is(await h.executeUpdate(whoAmI, { updateId: 'bw-me' }), 'whoAmI:bw-me');
    const slow = await h.startUpdate(addSlowly, { args: [1], waitForStage: WorkflowUpdateStage.ACCEPTED });
    assert.is(await slow.result(), 11);
    const rejected = await rejection(h.executeUpdate(add, { args: [-1] }), WorkflowUpdateFailedError);
    assert.match(rejected.cause!.message, /negative amounts are refused: -1/);
    const failed = await rejection(h.executeUpdate(fail, { args: ['nope'] }), WorkflowUpdateFailedError);
    assert.is((failed.cause as { type?: string }).type, 'UpdateRefused');
    assert.is(await h.executeUpdate(finish), 11);
    assert.is(await h.result(), 11);
    const bare = await official.workflow.start(noHandlers, { taskQueue: QUEUE, workflowId: `bw-bare-${randomUUID()}` });
    const none = await rejection(bare.executeUpdate(add, { args: [1] }), WorkflowUpdateFailedError);
    assert.match(none.cause!.message, /No registered handler for update: add/);
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
    await rejection(h.executeUpdate(add, { args: [-2] }), BastionUpdateFailedError);
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
      const err = await rejection(u.result(), WorkflowUpdateFailedError);
      assert.match(err.cause!.message, /Workflow completed before the Update completed/);
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
    const text = await runCli([...base, 'execute', '-w', h.workflowId, '--name', 'add', '--input', '2', ...addr]);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /Result\s+42/);
    const asJson = await runCli([...base, '-w', h.workflowId, '--name', 'add', '-i', '1', '--update-id', 'cli-1', '-o', 'json', ...addr]);
    assert.is(asJson.code, 0, asJson.stderr);
    assert.equal(JSON.parse(asJson.stdout), { name: 'add', updateId: 'cli-1', result: 43 });
    const refused = await runCli([...base, 'execute', '-w', h.workflowId, '--name', 'add', '--input', '-5', ...addr]);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /negative amounts are refused: -5/);
    await h.executeUpdate(finish);
    assert.is(await h.result(), 43);
  }),
);

/** A finished counter with two accepted updates (one whose handler sleeps) and a rejected one, and its history. */
async function updateHistory(taskQueue: string): Promise<{ workflowId: string; history: History }> {
  const h = await official.workflow.start(counter, { taskQueue, workflowId: `replay-${randomUUID()}`, args: [1] });
  await h.executeUpdate(add, { args: [2] });
  await h.executeUpdate(addSlowly, { args: [3] });
  await rejection(h.executeUpdate(add, { args: [-3] }), WorkflowUpdateFailedError);
  await h.executeUpdate(finish);
  await h.result();
  const raw = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: h.workflowId } });
  const history = raw.history! as History;
  const ET = temporal.api.enums.v1.EventType;
  const types = history.events!.map((e) => e.eventType);
  assert.is(types.filter((t) => t === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length, 3, 'add, addSlowly and finish accepted');
  assert.is(types.filter((t) => t === ET.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED).length, 3);
  return { workflowId: h.workflowId, history };
}

test(
  'replay both ways, binary and JSON: the official worker replays a Bastion history with updates read by the official historyFromJSON, and Bastion replays an official one',
  timed(90_000, async () => {
    const { historyToJSON } = officialHistoryJson();
    const fromBastion = await updateHistory(QUEUE);
    await Worker.runReplayHistory({ workflowBundle: { code } }, fromBastion.history as never, fromBastion.workflowId);
    // Bastion's export is the official export, byte for byte.
    const exported = JSON.stringify(historyToJson(fromBastion.history), null, 2);
    assert.is(exported, historyToJSON(fromBastion.history as never));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-update-replay-'));
    const binFile = path.join(dir, 'history.bin');
    const jsonFile = path.join(dir, 'history.json');
    fs.writeFileSync(binFile, temporal.api.history.v1.History.encode(fromBastion.history as never).finish());
    fs.writeFileSync(jsonFile, exported);
    const queue = `${QUEUE}-official`;
    // One official process replays both files, then runs a worker for the other direction.
    const ow = spawnNode([PROCESS], {
      HISTORY_FILE: binFile,
      HISTORY_JSON_FILE: jsonFile,
      WORKFLOW_ID: fromBastion.workflowId,
      ADDRESS: env.server.address,
      TASK_QUEUE: queue,
    });
    try {
      await ow.waitFor(/replay ok: binary/, 60_000);
      await ow.waitFor(/replay ok: json/, 60_000);
      await ow.waitFor(/worker running/, 60_000);
      const fromOfficial = await updateHistory(queue);
      await Worker.runReplayHistory({ workflowBundle: { code } }, fromOfficial.history as never, fromOfficial.workflowId);
      // Bastion's replayer reads the official export (through historyFromJson).
      await Worker.runReplayHistory({ workflowBundle: { code } }, historyToJSON(fromOfficial.history as never), fromOfficial.workflowId);
    } finally {
      ow.kill();
      await ow.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }),
);

test.run();
