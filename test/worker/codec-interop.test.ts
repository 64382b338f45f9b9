/**
 * Payload codecs across SDKs: the official @temporalio/client and @temporalio/worker with
 * Bastion's EncryptionCodec interoperate with Bastion's worker and client both ways, and
 * Bastion's replayer replays (with the codec) what the official worker wrote.
 * The official worker runs in its own process (its promise hooks break Bastion's sandboxes).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client as OfficialClient, Connection as OfficialConnection, WorkflowFailedError as OfficialWorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure as OfficialApplicationFailure } from '@temporalio/common';
import { Client, WorkflowFailedError } from '../../src/client';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { ApplicationFailure } from '../../src/converter';
import { heartbeat } from '../../src/activity';
import { startBastionEnv, quietLogger, type BastionEnv } from '../helpers/bastion-env';
import { codecActivities, encryptionCodec, leakedMarkers, newCodecKey } from '../helpers/test-codec';
import { spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';
import type { EncryptionCodec } from '../../codecs';

const test = suite('payload codecs interop with the official SDK');
let env: BastionEnv;
let key: string;
let codec: EncryptionCodec;
let official: { connection: OfficialConnection; client: OfficialClient };
let client: Client;
let code: string;
const m = `X${randomUUID().replace(/-/g, '').slice(0, 12)}`;

test.before(async () => {
  env = await startBastionEnv();
  key = newCodecKey();
  codec = await encryptionCodec(key);
  const connection = await OfficialConnection.connect({ address: env.server.address });
  official = { connection, client: new OfficialClient({ connection, dataConverter: { payloadCodecs: [codec] } }) };
  client = new Client({ connection: env.connection, dataConverter: { payloadCodecs: [codec] } });
  code = (await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/codec-workflows.js') })).code;
});
test.after(async () => {
  await official.connection.close();
  await env.close();
});

async function runFlow(
  c: { workflow: { start(...a: any[]): Promise<any>; execute(...a: any[]): Promise<any> } },
  taskQueue: string,
  id: string,
): Promise<void> {
  const input = { marker: m, heartbeat: `${m}-HB`, activityFailure: `${m}-ACT-FAIL` };
  const h = await c.workflow.start('codecFlow', { taskQueue, workflowId: id, args: [input], memo: { note: `${m}-MEMO` } });
  assert.is(await h.query('secretQuery', 'q'), `q:${m}-QUERY-ANSWER`);
  await h.signal('secret', `${m}-SIG`);
  assert.equal(JSON.parse(String(await h.result())), {
    echoed: `${m}-ACTIVITY-IN-ACTIVITY-OUT`,
    activityError: `${m}-ACT-FAIL`,
    signalled: `${m}-SIG`,
    child: `${m}-CHILD-IN-RESULT`,
  });
  assert.is(await c.workflow.execute('codecChild', { taskQueue, workflowId: `${id}-can`, args: [`${m}-C`, 1] }), `${m}-C-CAN-RESULT`);
}

test(
  'official client + Bastion worker, both with the EncryptionCodec',
  timed(60_000, async () => {
    const worker = await Worker.create({
      connection: env.connection,
      taskQueue: 'ci-bastion',
      workflowBundle: { code },
      activities: codecActivities((d) => heartbeat(d)),
      dataConverter: { payloadCodecs: [codec] },
      shutdownGraceTime: '1s',
      shutdownSignals: [],
      logger: quietLogger,
    });
    await worker.runUntil(async () => {
      await runFlow(official.client, 'ci-bastion', 'ci1');
      const f: any = await official.client.workflow
        .execute('codecFails', { taskQueue: 'ci-bastion', workflowId: 'ci1-fail', args: [`${m}-WF-FAIL`, `${m}-D`] })
        .catch((e) => e);
      assert.instance(f, OfficialWorkflowFailedError);
      assert.instance(f.cause, OfficialApplicationFailure);
      assert.is(f.cause.message, `${m}-WF-FAIL`);
      assert.equal(f.cause.details, [{ detail: `${m}-D` }]);
      const memo = (await official.client.workflow.getHandle('ci1').describe()).memo;
      assert.equal(memo, { note: `${m}-MEMO` });
    });
  }),
);

test(
  'official worker (with the codec) + Bastion client; Bastion replays its encrypted histories',
  timed(90_000, async () => {
    const worker = spawnNode([path.resolve(__dirname, '../helpers/test-codec.js')], { ADDRESS: env.server.address, TASK_QUEUE: 'ci-official', CODEC_KEY: key });
    try {
      await worker.waitFor(/worker running/, 30_000);
      await runFlow(client, 'ci-official', 'ci2');
      const f: any = await client.workflow
        .execute('codecFails', { taskQueue: 'ci-official', workflowId: 'ci2-fail', args: [`${m}-WF-FAIL`, `${m}-D`] })
        .catch((e) => e);
      assert.instance(f, WorkflowFailedError);
      assert.instance(f.cause, ApplicationFailure);
      assert.is(f.cause.message, `${m}-WF-FAIL`);
      assert.equal(f.cause.details, [{ detail: `${m}-D` }]);
      assert.equal((await client.workflow.getHandle('ci2').describe()).memo, { note: `${m}-MEMO` });
    } finally {
      worker.kill('SIGTERM');
      const killLater = setTimeout(() => worker.kill('SIGKILL'), 5000);
      await worker.exited;
      clearTimeout(killLater);
    }
    // Bastion's worker encodes failure messages too (encodeCommonAttributes is on with an
    // encrypting codec); the official worker, configured with payloadCodecs only, leaves
    // them in clear (its default), so its histories are checked for payloads only.
    const payloadMarkers = ['ACTIVITY-IN', 'ACTIVITY-OUT', 'HB', 'SIG', 'MEMO', 'QUERY', 'CHILD-IN', 'C-CAN', 'D'].map((s) => `${m}-${s}`);
    for (const [id, markers] of [
      ['ci1', [m]],
      ['ci1-child', [m]],
      ['ci1-fail', [m]],
      ['ci2', payloadMarkers],
      ['ci2-child', payloadMarkers],
      ['ci2-can', payloadMarkers],
      ['ci2-fail', payloadMarkers],
    ] as const) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      assert.equal(
        leakedMarkers(
          JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v)),
          [...markers],
        ),
        [],
        `plaintext in ${id}`,
      );
    }
    for (const id of ['ci2', 'ci2-child', 'ci2-fail']) {
      const history = await client.workflow.getHandle(id).fetchHistory();
      await Worker.runReplayHistory({ workflowBundle: { code }, dataConverter: { payloadCodecs: [codec] } }, history as never, id);
    }
    // Without the codec the workflow cannot read its input: replay fails.
    const history = await client.workflow.getHandle('ci2').fetchHistory();
    const err = await Worker.runReplayHistory({ workflowBundle: { code } }, history as never, 'ci2').catch((e) => e);
    assert.instance(err, Error);
  }),
);

test.run();
