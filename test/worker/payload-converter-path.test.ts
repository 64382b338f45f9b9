/**
 * `dataConverter.payloadConverterPath`: a custom payload converter module (strings as
 * `text/x-bastion`, test/fixtures/text-payload-converter.ts) used by workflow code inside
 * the sandbox, by activities in the worker, and by Bastion's and the official client —
 * checked against the raw history on the dev server. Also every error a user can hit:
 * a missing or broken module, conflicting options, and a prebuilt bundle built with
 * another converter.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client as OfficialClient, Connection as OfficialConnection } from '@temporalio/client';
import { Client } from '../../src/client';
import { Worker, bundleWorkflowCode } from '../../src/worker';
import { ConfigError, type BastionError } from '../../src/common/errors';
import { decodeUtf8, defaultPayloadConverter, PayloadConverterError } from '../../src/converter';
import { loadDataConverter } from '../../src/converter/load-data-converter';
import { startBastionEnv, quietLogger, type BastionEnv } from '../helpers/bastion-env';
import { timed } from '../helpers/wait';
import { payloadConverter as textConverter, TEXT_ENCODING } from '../fixtures/text-payload-converter';
import { rejection } from '../helpers/errors';

const test = suite('payloadConverterPath');
const CONVERTER = path.resolve(__dirname, '../fixtures/text-payload-converter.js');
const WORKFLOWS = path.resolve(__dirname, '../fixtures/converter-workflows.js');
const activities = {
  async converterShout(text: unknown, times: unknown): Promise<string> {
    if (typeof text !== 'string' || typeof times !== 'number') throw new Error(`converterShout got ${typeof text}, ${typeof times}`);
    return `${text.toUpperCase()}${'!'.repeat(times)}`;
  },
};

let env: BastionEnv;
let tmp: string;
let client: Client;
let official: { connection: OfficialConnection; client: OfficialClient };
let withConverter: string;

test.before(async () => {
  env = await startBastionEnv();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-pcp-'));
  client = new Client({ connection: env.connection, dataConverter: { payloadConverterPath: CONVERTER } });
  const connection = await OfficialConnection.connect({ address: env.server.address });
  official = { connection, client: new OfficialClient({ connection, dataConverter: { payloadConverterPath: CONVERTER } }) };
  withConverter = (await bundleWorkflowCode({ workflowsPath: WORKFLOWS, payloadConverterPath: CONVERTER })).code;
});
test.after(async () => {
  await official?.connection.close();
  await env?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function writeModule(name: string, source: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, source);
  return file;
}

function configError(fn: () => unknown): BastionError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err as BastionError;
  }
  throw new Error('expected a ConfigError');
}

const baseWorker = { shutdownGraceTime: '1s', shutdownSignals: [] as NodeJS.Signals[], logger: quietLogger };

interface RawPayload {
  metadata?: Record<string, Uint8Array> | null;
  data?: Uint8Array | null;
}
const encodingOf = (p: RawPayload | undefined) => (p?.metadata?.encoding ? decodeUtf8(p.metadata.encoding) : undefined);
const textOf = (p: RawPayload | undefined) => (p?.data ? decodeUtf8(p.data) : undefined);

async function rawEvents(workflowId: string): Promise<any[]> {
  const res = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  return (res.history?.events ?? []) as any[];
}

/** Runs converterGreeting through `c`: start, query while waiting, signal, result. */
async function greet(
  c: { workflow: { start(...a: any[]): Promise<any> } },
  taskQueue: string,
  workflowId: string,
): Promise<{ waiting: unknown; result: unknown }> {
  const h = await c.workflow.start('converterGreeting', { taskQueue, workflowId, args: ['hello', { times: 2 }] });
  const waiting = await h.query('converterLast');
  await h.signal('converterName', 'ada');
  return { waiting, result: await h.result() };
}

test(
  'workflow code, activities and the client all convert with the module; the history holds its encoding',
  timed(60_000, async () => {
    const worker = await Worker.create({
      ...baseWorker,
      connection: env.connection,
      taskQueue: 'pcp-bundled',
      workflowsPath: WORKFLOWS,
      activities,
      dataConverter: { payloadConverterPath: CONVERTER },
    });
    await worker.runUntil(async () => {
      assert.equal(await greet(client, 'pcp-bundled', 'pcp-1'), { waiting: 'waiting:hello', result: 'HELLO ADA!!' });
      // A query answer is written by the converter inside the sandbox.
      const answer = await env.connection.workflowService.queryWorkflow({
        namespace: 'default',
        execution: { workflowId: 'pcp-1' },
        query: { queryType: 'converterLast' },
      });
      const answerPayload = (answer.queryResult?.payloads ?? [])[0] as RawPayload;
      assert.is(encodingOf(answerPayload), TEXT_ENCODING);
      assert.is(textOf(answerPayload), 'HELLO ADA!!');
    });
    const events = await rawEvents('pcp-1');
    const attrs = (name: string) => events.find((e) => e[name])?.[name];
    const started = attrs('workflowExecutionStartedEventAttributes');
    // Client-side: the string argument in the custom encoding, the object through the default chain.
    assert.is(encodingOf(started.input.payloads[0]), TEXT_ENCODING);
    assert.is(textOf(started.input.payloads[0]), 'hello');
    assert.is(encodingOf(started.input.payloads[1]), 'json/plain');
    assert.is(textOf(started.input.payloads[1]), '{"times":2}');
    assert.is(encodingOf(attrs('workflowExecutionSignaledEventAttributes').input.payloads[0]), TEXT_ENCODING);
    // Sandbox-side: the activity's input and the workflow's result.
    const scheduled = attrs('activityTaskScheduledEventAttributes').input.payloads;
    assert.equal([encodingOf(scheduled[0]), textOf(scheduled[0])], [TEXT_ENCODING, 'hello ada']);
    assert.equal([encodingOf(scheduled[1]), textOf(scheduled[1])], ['json/plain', '2']);
    const result = attrs('workflowExecutionCompletedEventAttributes').result.payloads[0];
    assert.equal([encodingOf(result), textOf(result)], [TEXT_ENCODING, 'HELLO ADA!!']);
    // Worker-side: the activity's result.
    const completed = attrs('activityTaskCompletedEventAttributes').result.payloads[0];
    assert.equal([encodingOf(completed), textOf(completed)], [TEXT_ENCODING, 'HELLO ADA!!']);

    // The official client loads the same module itself and reads what Bastion wrote.
    assert.is(await official.client.workflow.getHandle('pcp-1').result(), 'HELLO ADA!!');
    // Without the converter, the result cannot be read: the encoding really is custom.
    const plain = new Client({ connection: env.connection });
    const err = await plain.workflow
      .getHandle('pcp-1')
      .result()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.instance(err, PayloadConverterError);
    assert.match((err as Error).message, TEXT_ENCODING);
  }),
);

test(
  'replay bundles the converter from the data converter: the history replays with it, and not without',
  timed(60_000, async () => {
    const res = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: 'pcp-1' } });
    const history = res.history as never;
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS, dataConverter: { payloadConverterPath: CONVERTER } }, history, 'pcp-1');
    const without = await Worker.runReplayHistory({ workflowsPath: WORKFLOWS }, history, 'pcp-1').then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(without instanceof Error, 'replay without the converter cannot read the text/x-bastion payloads');
  }),
);

test(
  'the official client drives a worker whose prebuilt bundle has the same converter',
  timed(60_000, async () => {
    const worker = await Worker.create({
      ...baseWorker,
      connection: env.connection,
      taskQueue: 'pcp-prebuilt',
      workflowBundle: { code: withConverter },
      activities,
      dataConverter: { payloadConverterPath: CONVERTER },
    });
    await worker.runUntil(async () => {
      assert.equal(await greet(official.client, 'pcp-prebuilt', 'pcp-2'), { waiting: 'waiting:hello', result: 'HELLO ADA!!' });
    });
    const events = await rawEvents('pcp-2');
    const input = events[0].workflowExecutionStartedEventAttributes.input.payloads;
    assert.equal([encodingOf(input[0]), textOf(input[0])], [TEXT_ENCODING, 'hello']);
    assert.is(await client.workflow.getHandle('pcp-2').result(), 'HELLO ADA!!');
  }),
);

test('loadDataConverter loads the module and reports where it came from', () => {
  const dc = loadDataConverter({ payloadConverterPath: CONVERTER });
  assert.is(dc.payloadConverter, textConverter);
  assert.is(dc.payloadConverterPath, CONVERTER);
  assert.is(encodingOf(dc.payloadConverter.toPayload('x')), TEXT_ENCODING);
  // A path relative to the working directory works as well.
  assert.is(loadDataConverter({ payloadConverterPath: path.relative(process.cwd(), CONVERTER) }).payloadConverter, textConverter);
  assert.is(loadDataConverter({}).payloadConverter, defaultPayloadConverter);
});

test('a missing module names the option and the path', () => {
  const missing = path.join(tmp, 'no-such-converter.js');
  const err = configError(() => loadDataConverter({ payloadConverterPath: missing }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, '`dataConverter.payloadConverterPath`');
  assert.match(err.message, 'no-such-converter.js');
  assert.match(err.message, 'cannot be found');
  assert.is(configError(() => new Client({ connection: env.connection, dataConverter: { payloadConverterPath: missing } })).code, 'ERR_INVALID_OPTION');
  assert.is(configError(() => loadDataConverter({ payloadConverterPath: '' })).code, 'ERR_INVALID_OPTION');
});

test('a module without a usable `payloadConverter` export is refused with what it has', () => {
  const noExport = writeModule('no-export.js', 'exports.converter = {}; exports.other = 1;\n');
  let err = configError(() => loadDataConverter({ payloadConverterPath: noExport }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, 'has no `payloadConverter` export');
  assert.match(err.message, '`converter`, `other`');

  const badShape = writeModule('bad-shape.js', 'exports.payloadConverter = { toPayload() {} };\n');
  err = configError(() => loadDataConverter({ payloadConverterPath: badShape }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, '`toPayload(value)` and `fromPayload(payload)`');

  const throws = writeModule('throws.js', "throw new TypeError('converter setup failed');\n");
  err = configError(() => loadDataConverter({ payloadConverterPath: throws }));
  assert.is(err.code, 'ERR_INVALID_OPTION');
  assert.match(err.message, 'TypeError: converter setup failed');
  assert.instance((err as Error & { cause?: unknown }).cause, TypeError);
});

test('conflicting converter options are refused, and the module is not loaded', () => {
  const sideEffect = path.join(tmp, 'loaded.flag');
  const marks = writeModule(
    'marks.js',
    `require('node:fs').writeFileSync(${JSON.stringify(sideEffect)}, 'x'); exports.payloadConverter = { toPayload() {}, fromPayload() {} };\n`,
  );
  let err = configError(() => loadDataConverter({ payloadConverterPath: marks, payloadConverter: textConverter }));
  assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(err.message, '`dataConverter.payloadConverterPath` and `dataConverter.payloadConverter`');
  err = configError(() => loadDataConverter({ payloadConverterPath: marks, protobufRoot: { lookupType: () => undefined } as never }));
  assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
  assert.match(err.message, '`dataConverter.protobufRoot`');
  assert.not.ok(fs.existsSync(sideEffect), 'the module ran although the options conflict');
  assert.is(
    configError(() => new Client({ connection: env.connection, dataConverter: { payloadConverterPath: CONVERTER, payloadConverter: textConverter } })).code,
    'ERR_CONFLICTING_OPTIONS',
  );
});

test(
  'a worker with workflows refuses a converter object it cannot hand to the sandbox',
  timed(10_000, async () => {
    for (const [name, dataConverter] of [
      ['payloadConverter', { payloadConverter: textConverter }],
      ['protobufRoot', { protobufRoot: { lookupType: () => undefined } }],
    ] as const) {
      const err = await rejection(
        Worker.create({ ...baseWorker, connection: env.connection, taskQueue: 'pcp-x', workflowsPath: WORKFLOWS, dataConverter: dataConverter as never }),
        ConfigError,
      );
      assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
      assert.match(err.message, `\`dataConverter.${name}\` cannot be used with \`workflowsPath\``);
      assert.match(err.message, 'payloadConverterPath');
    }
    // An activity-only worker may take the object: activities run in the worker's realm.
    const worker = await Worker.create({
      ...baseWorker,
      connection: env.connection,
      taskQueue: 'pcp-acts',
      activities,
      dataConverter: { payloadConverter: textConverter },
    });
    assert.is(worker.options.dataConverter.payloadConverter, textConverter);
    await worker.runUntil(async () => undefined);
  }),
);

test(
  'a prebuilt bundle must have been built with the same converter',
  timed(60_000, async () => {
    const create = (code: string, payloadConverterPath?: string) =>
      Worker.create({
        ...baseWorker,
        connection: env.connection,
        taskQueue: 'pcp-check',
        workflowBundle: { code },
        activities,
        dataConverter: payloadConverterPath ? { payloadConverterPath } : {},
      });
    const without = (await bundleWorkflowCode({ workflowsPath: WORKFLOWS })).code;
    let err = await rejection(create(without, CONVERTER), ConfigError);
    assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
    assert.match(err.message, 'was built without a payload converter');
    assert.match(err.message, CONVERTER);

    err = await rejection(create(withConverter), ConfigError);
    assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
    assert.match(err.message, 'has no `dataConverter.payloadConverterPath`');
    assert.match(err.message, CONVERTER);

    // Built from another module (here: one that re-exports the fixture, so it bundles).
    const other = writeModule('other-converter.js', `module.exports = require(${JSON.stringify(CONVERTER)});\n`);
    const otherBundle = (await bundleWorkflowCode({ workflowsPath: WORKFLOWS, payloadConverterPath: other })).code;
    err = await rejection(create(otherBundle, CONVERTER), ConfigError);
    assert.is(err.code, 'ERR_CONFLICTING_OPTIONS');
    assert.match(err.message, 'holds a different payload converter module');
    assert.match(err.message, 'other-converter.js');

    // The same module text at another path (a bundle built on another machine) is accepted.
    const source = `module.exports = require(${JSON.stringify(CONVERTER)});\n`;
    fs.mkdirSync(path.join(tmp, 'build'));
    fs.mkdirSync(path.join(tmp, 'deploy'));
    const built = writeModule('build/converter.js', source);
    const deployed = writeModule('deploy/converter.js', source);
    const relocated = (await bundleWorkflowCode({ workflowsPath: WORKFLOWS, payloadConverterPath: built })).code;
    await (await create(relocated, deployed)).runUntil(async () => undefined);
    // A bundle without a source map cannot be checked and is taken as it is.
    await (await create(without.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'), CONVERTER)).runUntil(async () => undefined);
  }),
);

test.run();
