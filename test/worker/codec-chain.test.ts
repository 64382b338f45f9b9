/**
 * The payload codec chain through Bastion's worker and client: with an EncryptionCodec
 * every payload the official SDK encodes reaches the server encrypted (inputs, results,
 * signals, queries, heartbeat details, failures, memo, child workflows, continue-as-new),
 * decodes correctly on the client, and headers and search attributes stay in clear.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Client, WorkflowFailedError } from '../../src/client';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { ApplicationFailure, defaultPayloadConverter, decodeUtf8 } from '../../src/converter';
import { loadDataConverter } from '../../src/converter/load-data-converter';
import { heartbeat } from '../../src/activity';
import { startBastionEnv, quietLogger } from '../helpers/bastion-env';
import { useEnv } from '../helpers/use-env';
import { codecActivities, encryptionCodec, leakedMarkers, newCodecKey } from '../helpers/test-codec';
import { timed, waitFor } from '../helpers/wait';
import { CompressionCodec, type EncryptionCodec } from '../../codecs';

const test = suite('payload codec chain (Bastion worker + client)');
const env = useEnv(test, () => startBastionEnv());
let codec: EncryptionCodec;
let client: Client;
let code: string;

test.before(async () => {
  codec = await encryptionCodec(newCodecKey());
  client = new Client({
    connection: env().connection,
    dataConverter: { payloadCodecs: [codec] },
    interceptors: {
      workflow: [{ start: (input, next) => next({ ...input, headers: { ...input.headers, trace: defaultPayloadConverter.toPayload('HEADER-IN-CLEAR') } }) }],
    },
  });
  code = (await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/codec-workflows.js') })).code;
});

function codecWorker(taskQueue: string, release?: () => Promise<void>): Promise<Worker> {
  return Worker.create({
    connection: env().connection,
    taskQueue,
    workflowBundle: { code },
    activities: codecActivities((d) => heartbeat(d), undefined, release),
    dataConverter: { payloadCodecs: [codec] },
    shutdownGraceTime: '1s',
    shutdownSignals: [],
    logger: quietLogger,
  });
}

async function rawHistory(workflowId: string): Promise<{ bytes: Uint8Array; json: string; events: any[] }> {
  const res = await env().connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  const history = temporal.api.history.v1.History.fromObject(res.history ?? {});
  return {
    bytes: temporal.api.history.v1.History.encode(history).finish(),
    json: JSON.stringify(history.toJSON()),
    events: (res.history?.events ?? []) as any[],
  };
}

function encodingOf(p: { metadata?: Record<string, Uint8Array> | null } | undefined): string | undefined {
  const e = p?.metadata?.encoding;
  return e ? decodeUtf8(e) : undefined;
}

test(
  'rejects a codec without encode/decode at create time, naming the option',
  timed(20_000, async () => {
    for (const bad of [{}, { encode: async () => [] }, 'codec', null]) {
      const err: any = await codecWorkerWith([bad]).catch((e) => e);
      assert.is(err?.code, 'ERR_INVALID_OPTION');
      assert.match(err.message, /`dataConverter\.payloadCodecs\[0\]` is not a payload codec/);
    }
    const notArray: any = (() => {
      try {
        return new Client({ connection: env().connection, dataConverter: { payloadCodecs: codec as never } });
      } catch (e) {
        return e;
      }
    })();
    assert.is(notArray.code, 'ERR_INVALID_OPTION');
    assert.match(notArray.message, /`dataConverter\.payloadCodecs` must be an array/);
  }),
);

function codecWorkerWith(payloadCodecs: unknown[]): Promise<Worker> {
  return Worker.create({
    connection: env().connection,
    taskQueue: 'codec-bad',
    activities: { a: async () => 1 },
    dataConverter: { payloadCodecs: payloadCodecs as never },
    logger: quietLogger,
  });
}

test('an encrypting codec turns on encodeCommonAttributes unless a failure converter is given or it is turned off', () => {
  assert.is(loadDataConverter({ payloadCodecs: [codec] }).encodeCommonAttributes, true);
  assert.is(
    loadDataConverter({ payloadCodecs: [codec] }).failureConverter.errorToFailure(new Error('hidden'), defaultPayloadConverter).message,
    'Encoded failure',
  );
  assert.is(loadDataConverter({ payloadCodecs: [codec], encodeCommonAttributes: false }).encodeCommonAttributes, false);
  assert.is(loadDataConverter({ payloadCodecs: [{ encode: async (p) => p, decode: async (p) => p }] }).encodeCommonAttributes, false);
  assert.is(
    loadDataConverter({ payloadCodecs: [{ encrypts: true, encode: async (p: never) => p, decode: async (p: never) => p } as never] }).encodeCommonAttributes,
    true,
  );
});

test(
  "heartbeat details are stored encrypted in the server's pending-activity record",
  timed(30_000, async () => {
    const id = `codec-hb-${randomUUID().slice(0, 8)}`;
    const m = `H${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const worker = await codecWorker('codec-heartbeat', () => released);
    await worker.runUntil(async () => {
      const h = await client.workflow.start('codecHeartbeat', { taskQueue: 'codec-heartbeat', workflowId: id, args: [`${m}-HEARTBEAT`] });
      // Read the record without the codec, as the server holds it.
      const pending = await waitFor(
        async () => {
          const raw = (await env().connection.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: id } })) as any;
          return raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0];
        },
        10_000,
        'heartbeat details on the pending activity',
      );
      assert.is(encodingOf(pending), 'binary/encrypted');
      assert.equal(
        leakedMarkers(Buffer.concat([Buffer.from(pending.data ?? []), ...Object.values(pending.metadata ?? {}).map((v: any) => Buffer.from(v))]), [m]),
        [],
      );
      release();
      assert.is(await h.result(), 'finished');
    });
  }),
);

test(
  'every payload reaches the server encrypted and decodes on the client',
  timed(60_000, async () => {
    const id = `codec-${randomUUID().slice(0, 8)}`;
    const m = `M${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const input = { marker: m, heartbeat: `${m}-HEARTBEAT`, activityFailure: `${m}-ACTIVITY-FAILURE card 4111 declined` };
    const worker = await codecWorker('codec-chain');
    await worker.runUntil(async () => {
      const h = await client.workflow.start('codecFlow', {
        taskQueue: 'codec-chain',
        workflowId: id,
        args: [input],
        memo: { note: `${m}-MEMO` },
        searchAttributes: { CustomKeywordField: ['sa-in-clear'] },
      });
      assert.is(await h.query('secretQuery', `${m}-QUERY-ARG`), `${m}-QUERY-ARG:${m}-QUERY-ANSWER`);
      await h.signal('secret', `${m}-SIGNAL`);
      const result = JSON.parse(String(await h.result()));
      assert.equal(result, {
        echoed: `${m}-ACTIVITY-IN-ACTIVITY-OUT`,
        activityError: input.activityFailure,
        signalled: `${m}-SIGNAL`,
        child: `${m}-CHILD-IN-RESULT`,
      });
      const description = await h.describe();
      assert.equal(description.memo, { note: `${m}-MEMO` });
      assert.is(encodingOf(description.raw.workflowExecutionInfo!.memo!.fields!.note!), 'binary/encrypted');

      const can = await client.workflow.execute('codecChild', { taskQueue: 'codec-chain', workflowId: `${id}-can`, args: [`${m}-CAN-IN`, 1] });
      assert.is(can, `${m}-CAN-IN-CAN-RESULT`);

      const failed: any = await client.workflow
        .execute('codecFails', { taskQueue: 'codec-chain', workflowId: `${id}-fail`, args: [`${m}-WF-FAILURE secret`, `${m}-DETAIL`] })
        .catch((e) => e);
      assert.instance(failed, WorkflowFailedError);
      assert.instance(failed.cause, ApplicationFailure);
      assert.is(failed.cause.message, `${m}-WF-FAILURE secret`);
      assert.is(failed.cause.type, 'PaymentDeclined');
      assert.equal(failed.cause.details, [{ detail: `${m}-DETAIL` }]);
    });

    for (const wf of [id, `${id}-child`, `${id}-can`, `${id}-fail`]) {
      const { bytes, json } = await rawHistory(wf);
      assert.equal(leakedMarkers(bytes, [m]), [], `plaintext in the raw history of ${wf}`);
      assert.equal(leakedMarkers(json, [m, Buffer.from(m).toString('base64').slice(0, 12)]), [], `plaintext in the JSON history of ${wf}`);
    }
    const { events } = await rawHistory(id);
    const started = events[0].workflowExecutionStartedEventAttributes;
    assert.is(encodingOf(started.input.payloads[0]), 'binary/encrypted');
    assert.is(encodingOf(started.memo.fields.note), 'binary/encrypted');
    // Headers and search attributes are for the server and interceptors: never encoded.
    assert.is(encodingOf(started.header.fields.trace), 'json/plain');
    assert.is(decodeUtf8(started.header.fields.trace.data), '"HEADER-IN-CLEAR"');
    assert.is(encodingOf(started.searchAttributes.indexedFields.CustomKeywordField), 'json/plain');
    const failedActivity = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes;
    assert.ok(failedActivity, 'an ActivityTaskFailed event');
    assert.is(failedActivity.failure.message, 'Encoded failure');
    assert.is(encodingOf(failedActivity.failure.encodedAttributes), 'binary/encrypted');
    const signalled = events.find((e) => e.workflowExecutionSignaledEventAttributes)!.workflowExecutionSignaledEventAttributes;
    assert.is(encodingOf(signalled.input.payloads[0]), 'binary/encrypted');
    const { events: failEvents } = await rawHistory(`${id}-fail`);
    const wfFailure = failEvents.find((e) => e.workflowExecutionFailedEventAttributes)!.workflowExecutionFailedEventAttributes.failure;
    assert.is(wfFailure.message, 'Encoded failure');
    assert.is(encodingOf(wfFailure.applicationFailureInfo.details.payloads[0]), 'binary/encrypted');
  }),
);

test(
  'a chain of compression then encryption: a 1 MB input and result, compressed before they are encrypted',
  timed(60_000, async () => {
    const chain = [new CompressionCodec({ thresholdBytes: 1024 }), codec];
    const chainClient = new Client({ connection: env().connection, dataConverter: { payloadCodecs: chain } });
    const worker = await Worker.create({
      connection: env().connection,
      taskQueue: 'codec-chain-2',
      workflowBundle: { code },
      activities: codecActivities((d) => heartbeat(d)),
      dataConverter: { payloadCodecs: chain },
      shutdownGraceTime: '1s',
      shutdownSignals: [],
      logger: quietLogger,
    });
    const m = `C${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const big = `${m}-${'order line '.repeat(100_000)}`;
    const id = `codec-chain2-${randomUUID().slice(0, 8)}`;
    const result = await worker.runUntil(chainClient.workflow.execute('codecChild', { taskQueue: 'codec-chain-2', workflowId: id, args: [big, 0] }));
    assert.is(result, `${big}-RESULT`);
    const { events, bytes } = await rawHistory(id);
    assert.equal(leakedMarkers(bytes, [m, 'order line order line']), []);
    const input = events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
    assert.is(encodingOf(input), 'binary/encrypted');
    // Compressed first: the ciphertext is far smaller than the 1.1 MB input.
    assert.ok((input.data?.length ?? 0) < 100_000, `ciphertext of ${input.data?.length} bytes`);
    // And the codecs undo each other in reverse order on the way back.
    const [plain] = await chain[0]!.decode(await codec.decode([input], { namespace: 'default', workflowId: id }));
    assert.is(defaultPayloadConverter.fromPayload(plain!), big);
  }),
);

test(
  'a client without the codec cannot read the results',
  timed(30_000, async () => {
    const id = `codec-plain-${randomUUID().slice(0, 8)}`;
    const worker = await codecWorker('codec-chain-2');
    await worker.runUntil(async () => {
      await client.workflow.execute('codecChild', { taskQueue: 'codec-chain-2', workflowId: id, args: ['x', 0] });
    });
    const plain = new Client({ connection: env().connection });
    const err: any = await plain.workflow
      .getHandle(id)
      .result()
      .catch((e) => e);
    assert.instance(err, Error);
    assert.match(err.message, /binary\/encrypted/);
  }),
);

test.run();
