/**
 * `encryptedDataConverter` with the official `@temporalio/worker` (its real Core) and
 * `@temporalio/client` against the dev server: the raw history and the pending activity's
 * heartbeat details hold no plaintext (inputs, results, signals, failure messages and
 * stacks, heartbeat details), and the official client decodes results and failures.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { Client as OfficialClient, Connection as OfficialConnection, WorkflowFailedError } from '@temporalio/client';
import { Worker, NativeConnection } from '@temporalio/worker';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type DataConverter } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { CompressionCodec, EncryptionCodec, KeyRing } from '../../codecs';
import { Connection } from '../../src/connection';
import { DevServer } from '../../src/testing';
import { encryptedDataConverter, requireNativePeer, ENCRYPTED_FAILURE_CONVERTER_PATH, type NativeDataConverter } from '../../native';
import { installQuietRuntime } from '../helpers/official-env';
import { codecActivities, leakedMarkers } from '../helpers/test-codec';
import { runNode } from '../helpers/processes';
import { rejection, thrown } from '../helpers/errors';
import { timed, waitFor } from '../helpers/wait';

const test = suite('bastion/native: encryptedDataConverter with the official worker and client');
const m = `X${randomUUID().replace(/-/g, '').slice(0, 12)}`;
/** Workflow ids are not secret (the server indexes them): they carry no marker. */
const run = randomUUID().slice(0, 8);
const WORKFLOWS = path.resolve(__dirname, '../fixtures/codec-workflows.js');
const { GetWorkflowExecutionHistoryResponse, DescribeWorkflowExecutionResponse } = temporal.api.workflowservice.v1;
let server: DevServer;
let raw: Connection;
let keyRing: KeyRing;

test.before(async () => {
  installQuietRuntime();
  server = await DevServer.start({ logLevel: 'off' });
  raw = await Connection.connect({ address: server.address });
  keyRing = new KeyRing({ active: 'native-k1', keys: { 'native-k1': KeyRing.generateKey() } });
});

test.after(async () => {
  await raw?.close();
  await server?.close();
});

/** The history as the server stores it, serialized: no SDK decodes anything on the way. */
async function rawHistory(workflowId: string): Promise<Uint8Array> {
  const res = await raw.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  return GetWorkflowExecutionHistoryResponse.encode(res).finish();
}

/** Plaintext markers, stack frames and source file names found in serialized server data. */
function leaks(bytes: Uint8Array): string[] {
  return leakedMarkers(bytes, [m, '\n    at ', 'data-converter.test', 'codec-workflows']);
}

test('builds compression then encryption, the encrypting failure converter, and an official DataConverter', async () => {
  const converter = await encryptedDataConverter({ keyRing, compression: true });
  const official: DataConverter = converter;
  assert.is(converter.payloadCodecs.length, 2);
  assert.instance(converter.payloadCodecs[0], CompressionCodec);
  assert.instance(converter.payloadCodecs[1], EncryptionCodec);
  assert.is(converter.failureConverterPath, ENCRYPTED_FAILURE_CONVERTER_PATH);
  const loaded = loadDataConverter(official);
  const failure = loaded.failureConverter.errorToFailure(new Error(`${m}-SECRET`), loaded.payloadConverter);
  assert.is(failure.message, 'Encoded failure');
  assert.ok(failure.encodedAttributes, 'message and stack moved into the encoded attributes payload');
  const plain = await encryptedDataConverter({ keyRing, encryptFailureAttributes: false });
  assert.equal(Object.keys(plain), ['payloadCodecs']);
  assert.is(plain.payloadCodecs.length, 1);
});

test('refuses malformed options with ERR_INVALID_OPTION naming the option', async () => {
  const notRing = await rejection(encryptedDataConverter({ keyRing: {} as KeyRing }));
  assert.is(notRing.code, 'ERR_INVALID_OPTION');
  assert.match(notRing.message, '`keyRing`');
  const badCompression = await rejection(encryptedDataConverter({ keyRing, compression: 'gzip' as never }));
  assert.match(badCompression.message, '`compression`');
  const badFlag = await rejection(encryptedDataConverter({ keyRing, encryptFailureAttributes: 'yes' as never }));
  assert.match(badFlag.message, '`encryptFailureAttributes`');
});

test('without @temporalio/common it throws ERR_NATIVE_PEER_MISSING naming the package and range', async () => {
  // A child process in which every @temporalio/* package fails to resolve, as when it is not installed.
  const script = `
    const Module = require('node:module');
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      if (/^@temporalio\\/(common|client|worker|workflow|activity)(\\/|$)/.test(request)) throw Object.assign(new Error('Cannot find module ' + request), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, request, ...rest);
    };
    const { encryptedDataConverter } = require(${JSON.stringify(path.resolve(__dirname, '../../native/data-converter.js'))});
    const { KeyRing } = require(${JSON.stringify(path.resolve(__dirname, '../../codecs'))});
    encryptedDataConverter({ keyRing: new KeyRing({ active: 'a', keys: { a: KeyRing.generateKey() } }) }).then(
      () => console.log(JSON.stringify({ ok: true })),
      (err) => console.log(JSON.stringify({ name: err.name, code: err.code, message: err.message })),
    );`;
  const { stdout } = await runNode(['-e', script]);
  const result = JSON.parse(stdout.trim());
  assert.is(result.code, 'ERR_NATIVE_PEER_MISSING');
  assert.is(result.name, 'ConfigError');
  assert.match(result.message, '@temporalio/common');
  assert.match(result.message, '^1.24.0');
  const old = thrown(() => requireNativePeer({ name: '@temporalio/common', range: '^1.24.0' }, 'x', () => ({ version: '1.11.7' })));
  assert.is(old.code, 'ERR_NATIVE_PEER_MISSING');
  assert.match(old.message, '1.11.7');
});

test(
  'the official worker writes no plaintext to the history or the pending heartbeat; the official client decodes',
  timed(90_000, async () => {
    const dataConverter: NativeDataConverter = await encryptedDataConverter({ keyRing, compression: true });
    const taskQueue = `native-codec-${randomUUID()}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const activities = {
      ...codecActivities(
        (details) => Context.current().heartbeat(details),
        (message) => ApplicationFailure.create({ message, type: 'Declined', nonRetryable: true }),
      ),
      // Heartbeats, then holds until the test has read the pending activity's details.
      async heartbeatThenFinish(detail: string): Promise<string> {
        Context.current().heartbeat({ detail });
        await released;
        return 'finished';
      },
    };
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const connection = await OfficialConnection.connect({ address: server.address });
    const client = new OfficialClient({ connection, dataConverter });
    try {
      const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: WORKFLOWS, activities, dataConverter });
      // Released on any outcome: the worker's shutdown waits for the held activity.
      await worker.runUntil(scenario().finally(release));
      async function scenario(): Promise<void> {
        const flow = await client.workflow.start('codecFlow', {
          taskQueue,
          workflowId: `flow-${run}`,
          args: [{ marker: m, heartbeat: `${m}-HB`, activityFailure: `${m}-ACT-FAIL` }],
        });
        assert.is(await flow.query('secretQuery', 'q'), `q:${m}-QUERY-ANSWER`);
        await flow.signal('secret', `${m}-SIG`);
        assert.equal(JSON.parse(String(await flow.result())), {
          echoed: `${m}-ACTIVITY-IN-ACTIVITY-OUT`,
          activityError: `${m}-ACT-FAIL`,
          signalled: `${m}-SIG`,
          child: `${m}-CHILD-IN-RESULT`,
        });

        const failed = await rejection(
          client.workflow.execute('codecFails', { taskQueue, workflowId: `fails-${run}`, args: [`${m}-WF-FAIL`, `${m}-D`] }),
          WorkflowFailedError,
        );
        assert.instance(failed.cause, ApplicationFailure);
        assert.is(failed.cause!.message, `${m}-WF-FAIL`);
        assert.equal((failed.cause as ApplicationFailure).details, [{ detail: `${m}-D` }]);

        const beating = await client.workflow.start('codecHeartbeat', { taskQueue, workflowId: `hb-${run}`, args: [`${m}-PENDING-HB`] });
        const described = await waitFor(
          async () => {
            const res = await raw.workflowService.describeWorkflowExecution({ namespace: 'default', execution: { workflowId: beating.workflowId } });
            return res.pendingActivities?.[0]?.heartbeatDetails?.payloads?.length ? res : undefined;
          },
          20_000,
          'the pending activity carries heartbeat details',
        );
        const details = described.pendingActivities![0]!.heartbeatDetails!.payloads![0]!;
        assert.is(Buffer.from(details.metadata!.encoding!).toString(), 'binary/encrypted');
        assert.equal(leaks(DescribeWorkflowExecutionResponse.encode(described).finish()), [], 'plaintext in the pending activity');
        release();
        assert.is(await beating.result(), 'finished');
      }
    } finally {
      await connection.close();
      await nativeConnection.close();
    }
    for (const id of [`flow-${run}`, `flow-${run}-child`, `fails-${run}`, `hb-${run}`]) {
      const history = await rawHistory(id);
      assert.ok(history.length > 200, `history of ${id} was read`);
      assert.equal(leaks(history), [], `plaintext in the history of ${id}`);
    }
    // Failures were written, encoded: the activity's and the workflow's.
    assert.match(Buffer.from(await rawHistory(`flow-${run}`)).toString('latin1'), 'Encoded failure');
    assert.match(Buffer.from(await rawHistory(`fails-${run}`)).toString('latin1'), 'Encoded failure');
  }),
);

test.run();
