/**
 * Failure classes: fields and factories as in the official SDK, `instanceof` across realms
 * and across the official SDK's classes, `isCancellation` and `rootCause`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as vm from 'node:vm';
import * as official from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancelledFailure,
  ChildWorkflowFailure,
  ensureApplicationFailure,
  ensureTemporalFailure,
  isCancellation,
  rootCause,
  ServerFailure,
  TemporalFailure,
  TerminatedFailure,
  TimeoutFailure,
} from '../../src/converter';

const classes = suite('failures: classes');

classes('ApplicationFailure.create fills the official defaults', () => {
  const cause = new Error('root');
  const f = ApplicationFailure.create({ message: 'declined', type: 'PaymentError', details: [{ code: 7 }], nextRetryDelay: '5s', cause, category: 'BENIGN' });
  assert.is(f.message, 'declined');
  assert.is(f.type, 'PaymentError');
  assert.is(f.nonRetryable, false);
  assert.equal(f.details, [{ code: 7 }]);
  assert.is(f.nextRetryDelay, '5s');
  assert.is(f.cause, cause);
  assert.is(f.category, 'BENIGN');
  assert.is(f.name, 'ApplicationFailure');
  assert.ok(f.stack!.startsWith('ApplicationFailure: declined'));
  assert.ok(f instanceof ApplicationFailure && f instanceof TemporalFailure && f instanceof Error);
});

classes('retryable and nonRetryable default the type to Error and take details as rest arguments', () => {
  const r = ApplicationFailure.retryable('try again', undefined, 1, 'two');
  assert.equal([r.type, r.nonRetryable, r.details], ['Error', false, [1, 'two']]);
  const n = ApplicationFailure.nonRetryable('stop', 'Fatal');
  assert.equal([n.type, n.nonRetryable, n.details], ['Fatal', true, []]);
});

classes('fromError keeps the message, class name, stack and an Error cause, then applies overrides', () => {
  class InsufficientFunds extends Error {}
  const inner = new Error('ledger');
  const err = new InsufficientFunds('balance 0', { cause: inner });
  const f = ApplicationFailure.fromError(err, { nonRetryable: true });
  assert.is(f.message, 'balance 0');
  assert.is(f.type, 'InsufficientFunds');
  assert.is(f.nonRetryable, true);
  assert.is(f.stack, err.stack);
  assert.is(f.cause, inner);
  const same = ApplicationFailure.nonRetryable('x');
  assert.is(ensureApplicationFailure(same), same);
});

classes('non-Error values become failures with their string form and no type, as in the official SDK', () => {
  for (const value of ['plain string', 42, { message: 'obj' }]) {
    const ours = ensureApplicationFailure(value);
    const theirs = official.ensureApplicationFailure(value);
    assert.equal([ours.message, ours.type, ours.stack], [theirs.message, theirs.type, theirs.stack], String(value));
  }
  const cancelled = new CancelledFailure('c');
  assert.is(ensureTemporalFailure(cancelled), cancelled);
});

classes('the other failures carry the official fields; numeric proto enums become names', () => {
  const t = new TimeoutFailure('timed out', { progress: 3 }, 'HEARTBEAT');
  assert.equal([t.timeoutType, t.lastHeartbeatDetails], ['HEARTBEAT', { progress: 3 }]);
  assert.is(new TimeoutFailure('t', undefined, 1).timeoutType, 'START_TO_CLOSE');
  const a = new ActivityFailure('activity failed', 'charge', '7', 4, 'worker@host', t);
  assert.equal([a.activityType, a.activityId, a.retryState, a.identity, a.cause], ['charge', '7', 'MAXIMUM_ATTEMPTS_REACHED', 'worker@host', t]);
  assert.is(new ActivityFailure('x', 'y', undefined, 0, undefined).retryState, undefined);
  const c = new ChildWorkflowFailure('default', { workflowId: 'child', runId: 'r' }, 'Child', 'TIMEOUT', new TerminatedFailure('bye'));
  assert.equal(
    [c.message, c.namespace, c.execution, c.workflowType, c.retryState],
    ['Child Workflow execution failed', 'default', { workflowId: 'child', runId: 'r' }, 'Child', 'TIMEOUT'],
  );
  assert.is(new ServerFailure('s', true).nonRetryable, true);
  assert.equal(new CancelledFailure('c').details, []);
  assert.is(new TerminatedFailure('t').name, 'TerminatedFailure');
});

const realms = suite('failures: instanceof across realms and SDKs');

realms('an error from another realm with our marker is an instance', () => {
  const foreign = vm.runInNewContext(`(() => {
    const e = new Error('from the sandbox');
    e[Symbol.for('bastion.failure.TemporalFailure')] = true;
    e[Symbol.for('bastion.failure.ApplicationFailure')] = true;
    return e;
  })()`);
  assert.not.ok(foreign instanceof Error, 'a foreign Error is not an Error of this realm');
  assert.ok(foreign instanceof ApplicationFailure);
  assert.ok(foreign instanceof TemporalFailure);
  assert.not.ok(foreign instanceof CancelledFailure);
  const unmarked = vm.runInNewContext(`new Error('plain')`);
  assert.not.ok(unmarked instanceof TemporalFailure);
});

realms('kinds do not leak into each other', () => {
  assert.not.ok(new CancelledFailure('c') instanceof ApplicationFailure);
  assert.not.ok(ApplicationFailure.retryable('a') instanceof CancelledFailure);
  assert.not.ok(new Error('e') instanceof TemporalFailure);
  for (const value of [null, undefined, 'ApplicationFailure', 1] as unknown[]) assert.not.ok((value as object) instanceof TemporalFailure);
});

realms("the official SDK's failures are instances of ours, and ours of theirs", () => {
  const theirs = official.ApplicationFailure.nonRetryable('from @temporalio/common', 'Theirs');
  assert.ok(theirs instanceof ApplicationFailure);
  assert.ok(theirs instanceof TemporalFailure);
  assert.not.ok(theirs instanceof CancelledFailure);
  assert.ok(new official.CancelledFailure('c') instanceof CancelledFailure);
  assert.ok(new official.TimeoutFailure('t', undefined, 'HEARTBEAT') instanceof TimeoutFailure);
  const ours = ApplicationFailure.retryable('ours');
  assert.ok(ours instanceof official.ApplicationFailure);
  assert.ok(ours instanceof official.TemporalFailure);
  assert.not.ok(ours instanceof official.CancelledFailure);
});

realms('a user subclass only matches its own instances', () => {
  class PaymentFailure extends ApplicationFailure {}
  const p = PaymentFailure.create({ message: 'p' });
  assert.ok(p instanceof PaymentFailure);
  assert.ok(p instanceof ApplicationFailure);
  assert.not.ok(ApplicationFailure.retryable('other') instanceof PaymentFailure);
});

const helpers = suite('failures: isCancellation and rootCause');

helpers('isCancellation recognises cancellation directly or as the cause of an activity or child failure', () => {
  const cancelled = new CancelledFailure('cancelled');
  assert.ok(isCancellation(cancelled));
  assert.ok(isCancellation(new ActivityFailure('a', 't', '1', undefined, undefined, cancelled)));
  assert.ok(isCancellation(new ChildWorkflowFailure('ns', { workflowId: 'w' }, 'T', undefined, cancelled)));
  assert.ok(isCancellation(new official.CancelledFailure('theirs')));
  assert.not.ok(isCancellation(new ActivityFailure('a', 't', '1', undefined, undefined, ApplicationFailure.retryable('x'))));
  assert.not.ok(isCancellation(new Error('cancelled')));
  assert.not.ok(isCancellation(undefined));
});

helpers('rootCause follows the cause chain of Temporal failures', () => {
  const chain = new ActivityFailure(
    'activity failed',
    't',
    '1',
    undefined,
    undefined,
    ApplicationFailure.create({ message: 'middle', cause: new TerminatedFailure('the root') }),
  );
  assert.is(rootCause(chain), 'the root');
  assert.is(rootCause(ApplicationFailure.create({ message: 'app', cause: new Error('plain root') })), 'plain root');
  assert.is(rootCause(new Error('plain')), 'plain');
  assert.is(rootCause('a string'), 'a string');
  assert.is(rootCause(42), undefined);
  const a = ApplicationFailure.create({ message: 'a' });
  const b = ApplicationFailure.create({ message: 'b', cause: a });
  a.cause = b;
  assert.type(rootCause(a), 'string', 'a cause cycle terminates');
});

classes.run();
realms.run();
helpers.run();
