/**
 * Failure conversion compared with the official SDK's `DefaultFailureConverter`: the same
 * wire bytes for each kind of failure, decoding of the official SDK's failures into our
 * classes, `encodeCommonAttributes` both ways, cause-depth limits and the data converter.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as official from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  DEFAULT_MAX_CAUSE_DEPTH,
  decodeUtf8,
  defaultDataConverter,
  defaultPayloadConverter,
  DefaultFailureConverter,
  errorToFailure,
  FailureConverterError,
  failureToError,
  type ProtoFailure,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '../../src/converter';
import { loadDataConverter } from '../../src/converter/load-data-converter';
import { BastionError } from '../../src/common/errors';

const Failure = temporal.api.failure.v1.Failure;
const pc = defaultPayloadConverter;
const opc = official.defaultPayloadConverter;
const theirConverter = new official.DefaultFailureConverter();
const theirEncodingConverter = new official.DefaultFailureConverter({ encodeCommonAttributes: true });

/** Wire bytes of a failure object (ours has plain-number int64s, theirs Longs; the bytes must agree). */
const wire = (f: ProtoFailure): number[] => [...Failure.encode(f as temporal.api.failure.v1.IFailure).finish()];
/** A readable form of the wire failure, for diffs. */
const readable = (f: ProtoFailure) => Failure.toObject(Failure.decode(Uint8Array.from(wire(f))), { longs: Number, enums: String, bytes: String });

function withStack<E extends Error>(err: E, stack: string): E {
  err.stack = stack;
  return err;
}

const STACK =
  'Error: x\n    at chargeCard (/app/activities.js:10:5)\n    at Activity.execute (/app/node_modules/@temporalio/worker/lib/activity.js:1:1)\n    at after (/app/x.js:1:1)';

/** The same failure built twice: once from our classes, once from the official SDK's. */
interface Case {
  name: string;
  ours: () => unknown;
  theirs: () => unknown;
  /** What the official worker converts: it calls ensureApplicationFailure first for non-Temporal errors. */
  officialPrep?: (err: unknown) => unknown;
}

const CASES: Case[] = [
  {
    name: 'an ApplicationFailure with details, a cause, a retry delay and a category',
    ours: () =>
      withStack(
        ApplicationFailure.create({
          message: 'card declined',
          type: 'PaymentError',
          nonRetryable: true,
          details: [{ last4: '4242' }, 'ü', 7],
          nextRetryDelay: 1500,
          category: 'BENIGN',
          cause: withStack(new RangeError('limit'), 'RangeError: limit\n    at x (/a.js:1:1)'),
        }),
        STACK,
      ),
    theirs: () =>
      withStack(
        official.ApplicationFailure.create({
          message: 'card declined',
          type: 'PaymentError',
          nonRetryable: true,
          details: [{ last4: '4242' }, 'ü', 7],
          nextRetryDelay: 1500,
          category: 'BENIGN',
          cause: withStack(new RangeError('limit'), 'RangeError: limit\n    at x (/a.js:1:1)'),
        }),
        STACK,
      ),
  },
  {
    name: 'an ApplicationFailure with a string retry delay and no details',
    ours: () => withStack(ApplicationFailure.retryable('later', 'Busy'), STACK),
    theirs: () => withStack(official.ApplicationFailure.retryable('later', 'Busy'), STACK),
  },
  {
    name: 'a CancelledFailure with details',
    ours: () => withStack(new CancelledFailure('cancelled', ['why', { n: 1 }]), STACK),
    theirs: () => withStack(new official.CancelledFailure('cancelled', ['why', { n: 1 }]), STACK),
  },
  {
    name: 'a plain Error with an Error cause (made an ApplicationFailure of type TypeError)',
    ours: () => withStack(new TypeError('bad input', { cause: withStack(new Error('deeper'), 'Error: deeper') }), STACK),
    theirs: () => withStack(new TypeError('bad input', { cause: withStack(new Error('deeper'), 'Error: deeper') }), STACK),
    officialPrep: (err) => official.ensureApplicationFailure(err),
  },
  {
    name: 'a thrown string',
    ours: () => 'just a string',
    theirs: () => 'just a string',
    officialPrep: (err) => official.ensureApplicationFailure(err),
  },
  {
    name: 'a TimeoutFailure with heartbeat details',
    ours: () => withStack(new TimeoutFailure('heartbeat timeout', { step: 3 }, 'HEARTBEAT'), STACK),
    theirs: () => withStack(new official.TimeoutFailure('heartbeat timeout', { step: 3 }, 'HEARTBEAT'), STACK),
  },
  {
    name: 'a TimeoutFailure with falsy heartbeat details (dropped by both)',
    ours: () => withStack(new TimeoutFailure('t', 0, 'START_TO_CLOSE'), STACK),
    theirs: () => withStack(new official.TimeoutFailure('t', 0, 'START_TO_CLOSE'), STACK),
  },
  {
    name: 'an ActivityFailure caused by an ApplicationFailure',
    ours: () =>
      withStack(
        new ActivityFailure(
          'Activity task failed',
          'charge',
          '3',
          'MAXIMUM_ATTEMPTS_REACHED',
          'w@h',
          withStack(ApplicationFailure.retryable('inner', 'E', 1), STACK),
        ),
        STACK,
      ),
    theirs: () =>
      withStack(
        new official.ActivityFailure(
          'Activity task failed',
          'charge',
          '3',
          'MAXIMUM_ATTEMPTS_REACHED',
          'w@h',
          withStack(official.ApplicationFailure.retryable('inner', 'E', 1), STACK),
        ),
        STACK,
      ),
  },
  {
    name: 'a ChildWorkflowFailure caused by a TerminatedFailure',
    ours: () =>
      withStack(
        new ChildWorkflowFailure(
          'default',
          { workflowId: 'c', runId: 'r' },
          'Child',
          'NON_RETRYABLE_FAILURE',
          withStack(new TerminatedFailure('terminated'), STACK),
        ),
        STACK,
      ),
    theirs: () =>
      withStack(
        new official.ChildWorkflowFailure(
          'default',
          { workflowId: 'c', runId: 'r' },
          'Child',
          'NON_RETRYABLE_FAILURE',
          withStack(new official.TerminatedFailure('terminated'), STACK),
        ),
        STACK,
      ),
  },
  {
    name: 'a ServerFailure',
    ours: () => withStack(new ServerFailure('server says no', true), STACK),
    theirs: () => withStack(new official.ServerFailure('server says no', true), STACK),
  },
  {
    name: 'an ApplicationFailure with a non-Error cause',
    ours: () => withStack(ApplicationFailure.create({ message: 'm', cause: { reason: 'odd' } as unknown as Error }), STACK),
    theirs: () => withStack(official.ApplicationFailure.create({ message: 'm', cause: { reason: 'odd' } as unknown as Error }), STACK),
  },
];

function theirFailure(c: Case, converter = theirConverter): ProtoFailure {
  const err = c.theirs();
  return converter.errorToFailure(c.officialPrep ? c.officialPrep(err) : err, opc) as ProtoFailure;
}

const encode = suite('failure converter: encoding matches the official SDK');

for (const c of CASES) {
  encode(`same wire failure for ${c.name}`, () => {
    const ours = errorToFailure(c.ours(), pc);
    const theirs = theirFailure(c);
    assert.equal(readable(ours), readable(theirs));
    assert.equal(wire(ours), wire(theirs));
  });
}

encode('cuts the stack trace at the framework entry frame, as the official SDK does', () => {
  const f = errorToFailure(withStack(new Error('x'), STACK), pc);
  assert.is(f.stackTrace, 'Error: x\n    at chargeCard (/app/activities.js:10:5)');
  assert.is(f.source, 'TypeScriptSDK');
  assert.is(f.applicationFailureInfo!.type, 'Error');
});

encode('a string retry delay becomes a Duration', () => {
  const f = errorToFailure(ApplicationFailure.create({ message: 'm', nextRetryDelay: '2.5s' }), pc);
  assert.equal(readable(f).applicationFailureInfo.nextRetryDelay, { seconds: 2, nanos: 500_000_000 });
});

const decode = suite("failure converter: decoding the official SDK's failures");

decode('every kind decodes into our class with its fields, also after a wire round trip', () => {
  for (const c of CASES) {
    for (const failure of [theirFailure(c), Failure.decode(Uint8Array.from(wire(theirFailure(c)))) as ProtoFailure]) {
      const ours = failureToError(failure, pc);
      const theirs = theirConverter.failureToError(failure, opc);
      assert.is(ours.constructor.name, theirs.constructor.name, c.name);
      assert.is(ours.message, theirs.message, c.name);
      assert.is(ours.stack, theirs.stack, c.name);
      for (const field of [
        'type',
        'nonRetryable',
        'details',
        'timeoutType',
        'lastHeartbeatDetails',
        'activityType',
        'activityId',
        'retryState',
        'identity',
        'namespace',
        'workflowType',
        'category',
      ]) {
        assert.equal((ours as unknown as Record<string, unknown>)[field], (theirs as unknown as Record<string, unknown>)[field], `${c.name}: ${field}`);
      }
      assert.is((ours.cause as Error | undefined)?.message, (theirs.cause as Error | undefined)?.message, c.name);
      assert.is((ours as TemporalFailure).failure, failure);
    }
  }
});

decode('an ApplicationFailure keeps its class, details and cause; nextRetryDelay comes back in ms', () => {
  const failure = theirFailure(CASES[0]!);
  const err = failureToError(failure, pc) as ApplicationFailure;
  assert.ok(err instanceof ApplicationFailure);
  assert.equal(err.details, [{ last4: '4242' }, 'ü', 7]);
  assert.is(err.nonRetryable, true);
  assert.is(err.category, 'BENIGN');
  // The official converter drops nextRetryDelay on decode; we keep it.
  assert.is(err.nextRetryDelay, 1500);
  // Only the top-level error is made an ApplicationFailure; a plain Error further down the
  // chain travels without applicationFailureInfo (official behaviour) and comes back as a
  // bare TemporalFailure: its class name is lost.
  assert.ok(err.cause instanceof TemporalFailure);
  assert.not.ok(err.cause instanceof ApplicationFailure);
  assert.is(err.cause!.message, 'limit');
});

decode('re-encoding a decoded failure returns the original wire failure', () => {
  const failure = theirFailure(CASES[7]!);
  const err = failureToError(failure, pc);
  assert.equal(errorToFailure(err, pc), failure);
});

decode('failures from proto JSON (enum names, duration strings) decode too', () => {
  const f = {
    message: 'timeout',
    timeoutFailureInfo: { timeoutType: 'TIMEOUT_TYPE_SCHEDULE_TO_CLOSE' },
    cause: { message: 'app', applicationFailureInfo: { type: 'T', nextRetryDelay: '3.25s', category: 'APPLICATION_ERROR_CATEGORY_BENIGN' } },
  } as unknown as ProtoFailure;
  const err = failureToError(f, pc) as TimeoutFailure;
  assert.is(err.timeoutType, 'SCHEDULE_TO_CLOSE');
  // A TimeoutFailure has no cause in either SDK.
  assert.is(err.cause, undefined);
  const app = failureToError(f.cause!, pc) as ApplicationFailure;
  assert.equal([app.nextRetryDelay, app.category], [3250, 'BENIGN']);
});

decode('resetWorkflowFailureInfo becomes an ApplicationFailure of type ResetWorkflow; an info-less failure a TemporalFailure', () => {
  const reset = failureToError(
    { message: 'reset', resetWorkflowFailureInfo: { lastHeartbeatDetails: { payloads: [pc.toPayload('hb')] } } },
    pc,
  ) as ApplicationFailure;
  assert.equal([reset.type, reset.nonRetryable, reset.details], ['ResetWorkflow', false, ['hb']]);
  const bare = failureToError({ message: 'bare', stackTrace: 'at x' }, pc);
  assert.ok(bare instanceof TemporalFailure);
  assert.not.ok(bare instanceof ApplicationFailure);
  assert.is(bare.stack, 'at x');
});

decode('an activity or child failure without its type name is refused with ERR_FAILURE_CONVERTER', () => {
  for (const [failure, field] of [
    [{ message: 'a', activityFailureInfo: { activityId: '1' } }, 'activityFailureInfo.activityType.name'],
    [{ message: 'c', childWorkflowExecutionFailureInfo: { namespace: 'n' } }, 'childWorkflowExecutionFailureInfo.workflowType.name'],
  ] as const) {
    try {
      failureToError(failure as ProtoFailure, pc);
      assert.unreachable('expected an error');
    } catch (err) {
      assert.ok(err instanceof FailureConverterError);
      assert.ok(err instanceof BastionError);
      assert.is((err as FailureConverterError).code, 'ERR_FAILURE_CONVERTER');
      assert.ok((err as Error).message.includes(field), (err as Error).message);
    }
  }
});

const encoded = suite('failure converter: encodeCommonAttributes');

encoded('moves message and stack into a json/plain payload equal to the official one, at every cause level', () => {
  const c = CASES[0]!;
  const ours = errorToFailure(c.ours(), pc, { encodeCommonAttributes: true });
  const theirs = theirFailure(c, theirEncodingConverter);
  assert.is(ours.message, 'Encoded failure');
  assert.is(ours.stackTrace, '');
  assert.is(decodeUtf8(ours.encodedAttributes!.metadata!.encoding!), 'json/plain');
  assert.equal(JSON.parse(decodeUtf8(ours.encodedAttributes!.data!)), {
    message: 'card declined',
    stack_trace: 'Error: x\n    at chargeCard (/app/activities.js:10:5)',
  });
  assert.is(ours.cause!.message, 'Encoded failure');
  assert.equal(wire(ours), wire(theirs));
});

encoded('we decode the official encoded failures, and the official converter decodes ours', () => {
  for (const c of CASES) {
    const fromThem = failureToError(theirFailure(c, theirEncodingConverter), pc);
    const plain = failureToError(theirFailure(c), pc);
    assert.equal([fromThem.message, fromThem.stack], [plain.message, plain.stack], c.name);
    const fromUs = theirConverter.failureToError(errorToFailure(c.ours(), pc, { encodeCommonAttributes: true }), opc);
    assert.equal([fromUs.message, fromUs.stack], [plain.message, plain.stack], c.name);
  }
});

encoded('round trip through our own converter restores message, stack and cause', () => {
  const converter = new DefaultFailureConverter({ encodeCommonAttributes: true });
  const err = withStack(
    ApplicationFailure.create({ message: 'secret account 123', cause: withStack(new Error('inner secret'), 'Error: inner secret') }),
    'stack with secret',
  );
  const failure = converter.errorToFailure(err, pc);
  assert.not.ok(JSON.stringify(readable(failure)).includes('secret account'), 'no plaintext message on the wire');
  const back = converter.failureToError(failure, pc) as ApplicationFailure;
  assert.equal([back.message, back.stack, back.cause?.message], ['secret account 123', 'stack with secret', 'inner secret']);
});

encoded('re-encoding a decoded failure does not modify the failure it came from', () => {
  const original = theirFailure(CASES[1]!);
  const snapshot = readable(original);
  const err = failureToError(original, pc);
  const reencoded = errorToFailure(err, pc, { encodeCommonAttributes: true });
  assert.is(reencoded.message, 'Encoded failure');
  assert.equal(readable(original), snapshot);
});

encoded('encodedAttributes that are not an object are left alone', () => {
  const err = failureToError({ message: 'kept', encodedAttributes: pc.toPayload('just a string'), applicationFailureInfo: { type: 'X' } }, pc);
  assert.is(err.message, 'kept');
});

const depth = suite('failure converter: cause depth');

function chain(n: number): Error {
  let err: Error = new Error('level 0');
  for (let i = 1; i < n; i++) err = ApplicationFailure.create({ message: `level ${i}`, cause: err });
  return err;
}

function depthOf(f: ProtoFailure | null | undefined): number {
  let n = 0;
  for (; f; f = f.cause) n++;
  return n;
}

depth('cause chains are cut off after the limit; cycles terminate', () => {
  assert.is(depthOf(errorToFailure(chain(10), pc)), 10);
  assert.is(depthOf(errorToFailure(chain(DEFAULT_MAX_CAUSE_DEPTH + 30), pc)), DEFAULT_MAX_CAUSE_DEPTH + 1);
  assert.is(depthOf(errorToFailure(chain(10), pc, { maxCauseDepth: 2 })), 3);
  const a = ApplicationFailure.create({ message: 'a' });
  const b = ApplicationFailure.create({ message: 'b', cause: a });
  a.cause = b;
  assert.is(depthOf(errorToFailure(a, pc)), DEFAULT_MAX_CAUSE_DEPTH + 1);
});

depth('decoding stops at the limit too', () => {
  let f: ProtoFailure = { message: 'root' };
  for (let i = 0; i < 200; i++) f = { message: `m${i}`, applicationFailureInfo: { type: 'T' }, cause: f };
  let err: Error | undefined = failureToError(f, pc);
  let n = 0;
  for (; err; err = (err as TemporalFailure).cause) n++;
  assert.is(n, DEFAULT_MAX_CAUSE_DEPTH + 1);
  assert.throws(() => new DefaultFailureConverter({ maxCauseDepth: -1 }), /maxCauseDepth/);
});

const data = suite('data converter');

data('loadDataConverter fills defaults', () => {
  assert.is(loadDataConverter(), defaultDataConverter);
  assert.is(loadDataConverter({}).payloadConverter, defaultPayloadConverter);
  const dc = loadDataConverter({ encodeCommonAttributes: true });
  assert.is(dc.failureConverter.errorToFailure(new Error('x'), dc.payloadConverter).message, 'Encoded failure');
});

data('a custom payload converter is used for failure details', () => {
  const payloadConverter = {
    toPayload: (v: unknown) => ({ metadata: { encoding: new TextEncoder().encode('custom/x') }, data: new TextEncoder().encode(String(v)) }),
    fromPayload: <T>(p: { data?: Uint8Array | null }) => `custom:${decodeUtf8(p.data!)}` as T,
  };
  const dc = loadDataConverter({ payloadConverter });
  const failure = dc.failureConverter.errorToFailure(ApplicationFailure.retryable('m', 'T', 'd1'), dc.payloadConverter);
  assert.is(decodeUtf8(failure.applicationFailureInfo!.details!.payloads![0]!.metadata!.encoding!), 'custom/x');
  assert.equal((dc.failureConverter.failureToError(failure, dc.payloadConverter) as ApplicationFailure).details, ['custom:d1']);
});

data('conflicting and malformed options are rejected with codes naming the options', () => {
  const cases: Array<[Parameters<typeof loadDataConverter>[0], string, RegExp]> = [
    [
      { payloadConverter: defaultPayloadConverter, protobufRoot: { lookupType: () => undefined } },
      'ERR_CONFLICTING_OPTIONS',
      /`dataConverter.payloadConverter` and `dataConverter.protobufRoot`/,
    ],
    [
      { failureConverter: new DefaultFailureConverter(), encodeCommonAttributes: true },
      'ERR_CONFLICTING_OPTIONS',
      /`dataConverter.failureConverter` and `dataConverter.encodeCommonAttributes`/,
    ],
    [{ payloadConverter: {} as never }, 'ERR_INVALID_OPTION', /`dataConverter.payloadConverter` must be an object with `toPayload/],
    [{ failureConverter: { errorToFailure: () => ({}) } as never }, 'ERR_INVALID_OPTION', /`dataConverter.failureConverter`/],
    [{ protobufRoot: {} as never }, 'ERR_INVALID_OPTION', /`dataConverter.protobufRoot` must be a protobufjs Root/],
    [{ encodeCommonAttributes: 'yes' as never }, 'ERR_INVALID_OPTION', /`dataConverter.encodeCommonAttributes` must be a boolean/],
  ];
  for (const [options, code, pattern] of cases) {
    try {
      loadDataConverter(options);
      assert.unreachable(`expected ${code}`);
    } catch (err) {
      assert.ok(err instanceof BastionError, String(err));
      assert.is((err as BastionError).code, code);
      assert.match((err as Error).message, pattern);
    }
  }
});

encode.run();
decode.run();
encoded.run();
depth.run();
data.run();
