/** Typed errors: codes, areas, cross-realm instanceof, and the generated docs page. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { areaClassName, BastionError, ClientError, ConfigError, ConnectionError, ERROR_CODES, WorkflowError } from '../../src/common/errors';
import { DeterminismError } from '../../src/engine/determinism-error';
import { WorkflowFailedError, WorkflowNotFoundError } from '../../src/client/errors';
import * as bastion from '../../src';

/** A second, independent copy of the errors module, evaluated in another vm realm (as a workflow sandbox holds one). */
function foreignErrorsModule(): Record<string, any> {
  const file = path.resolve(__dirname, '../../src/common/errors.js');
  const context = vm.createContext({});
  const fn = vm.runInContext(`(function (exports) {${fs.readFileSync(file, 'utf8')}\n})`, context);
  const exports: Record<string, any> = {};
  fn(exports);
  return exports;
}

test('errors carry a stable code, their area class, and the cause', () => {
  const cause = new Error('root');
  const e = new ConnectionError('ERR_CONNECT_FAILED', 'could not connect', { cause });
  assert.is(e.code, 'ERR_CONNECT_FAILED');
  assert.is(e.name, 'ConnectionError');
  assert.is(e.cause, cause);
  assert.ok(e instanceof BastionError);
  assert.ok(e instanceof ConnectionError);
  assert.not.ok(e instanceof ConfigError);
});

test('instanceof matches only the class and its ancestors: a deadlock is not a DeterminismError', () => {
  const deadlock = new WorkflowError('ERR_WORKFLOW_TASK_DEADLOCK', 'did not yield');
  assert.ok(deadlock instanceof WorkflowError);
  assert.ok(deadlock instanceof BastionError);
  assert.not.ok(deadlock instanceof DeterminismError);
  const nd = DeterminismError.mismatch(5, 'ActivityTaskScheduled', 'activity a', undefined);
  assert.ok(nd instanceof DeterminismError);
  assert.ok(nd instanceof WorkflowError);
  assert.ok(nd instanceof BastionError);
  assert.not.ok(nd instanceof ConfigError);
  assert.is(nd.name, 'DeterminismError');
});

test("instanceof works for errors built by another realm's copy of the module", () => {
  const foreign = foreignErrorsModule();
  const deadlock = new foreign.WorkflowError('ERR_WORKFLOW_TASK_DEADLOCK', 'did not yield');
  assert.not.ok(deadlock instanceof Error, 'the error really comes from another realm');
  assert.ok(deadlock instanceof BastionError);
  assert.ok(deadlock instanceof WorkflowError);
  assert.not.ok(deadlock instanceof DeterminismError);
  assert.not.ok(deadlock instanceof ConfigError);
  // A subclass defined in that realm matches its own class id there and its ancestors here.
  const ForeignDeterminism = class DeterminismError extends foreign.WorkflowError {};
  const nd = new (ForeignDeterminism as any)('ERR_NONDETERMINISM', 'x');
  assert.ok(nd instanceof DeterminismError);
  assert.ok(nd instanceof WorkflowError);
  // And the other way: an error from this realm is recognised by the foreign classes.
  assert.ok(new DeterminismError('x') instanceof foreign.WorkflowError);
  assert.not.ok(new ConfigError('ERR_INVALID_OPTION', 'x') instanceof foreign.WorkflowError);
});

test('an error marked by an older copy (area marker only) still matches its area class', () => {
  const old = vm.runInContext(
    `(() => { const o = new Error('x'); o[Symbol.for('bastion.error')] = true; o[Symbol.for('bastion.error.area')] = 'config'; return o; })()`,
    vm.createContext({}),
  );
  assert.ok(old instanceof BastionError);
  assert.ok(old instanceof ConfigError);
  assert.not.ok(old instanceof ConnectionError);
  assert.not.ok(old instanceof DeterminismError);
});

test('an area class refuses a code of another area, naming the class to throw', () => {
  assert.throws(
    () => new ConfigError('ERR_CONNECT_FAILED', 'x'),
    (e: Error) => e instanceof TypeError && /ConfigError cannot carry ERR_CONNECT_FAILED.*throw ConnectionError/.test(e.message),
  );
  assert.throws(() => new ConnectionError('ERR_TLS_CONFIG', 'x'), /throw ConfigError/);
  assert.throws(() => new ConfigError('ERR_NOPE' as never, 'x'), /unknown error code ERR_NOPE/);
  assert.is(new ConfigError('ERR_TLS_CONFIG', 'x').code, 'ERR_TLS_CONFIG');
});

test("the client's errors are coded BastionErrors that match only themselves", () => {
  const failed = new WorkflowFailedError('failed', new Error('cause'), 3);
  assert.is(failed.code, 'ERR_CLIENT_WORKFLOW_FAILED');
  assert.is(failed.name, 'WorkflowFailedError');
  assert.is(failed.retryState, 3);
  assert.ok(failed instanceof BastionError);
  assert.ok(failed instanceof ClientError);
  assert.ok(failed instanceof WorkflowFailedError);
  assert.not.ok(failed instanceof WorkflowNotFoundError);
  assert.is(ERROR_CODES[failed.code].area, 'client');
});

test('every error class a user can catch is exported from `bastion`', () => {
  const exported = bastion as unknown as Record<string, unknown>;
  for (const info of Object.values(ERROR_CODES) as Array<{ area: any; className?: string }>) {
    const name = areaClassName(info.area);
    assert.type(exported[name], 'function', `${name} is exported`);
  }
  for (const name of ['BastionError', 'DeterminismError']) assert.type(exported[name], 'function', `${name} is exported`);
  for (const [sub, names] of [
    ['worker', ['BundleError', 'DeterminismError', 'IllegalStateError', 'WorkflowError']],
    [
      'client',
      ['ClientError', 'WorkflowFailedError', 'WorkflowNotFoundError', 'WorkflowExecutionAlreadyStartedError', 'QueryNotRegisteredError', 'QueryFailedError'],
    ],
    ['certs', ['CertsError']],
    ['codecs', ['CodecError']],
    ['testing', ['ServerError']],
  ] as const) {
    const mod = require(`../../${sub === 'certs' || sub === 'codecs' ? sub : `src/${sub}`}`);
    for (const n of names) assert.type(mod[n], 'function', `bastion/${sub} exports ${n}`);
  }
});

test('docs/errors.md is generated from the current table', () => {
  const { render } = require('../../../scripts/gen-error-docs.js');
  const onDisk = fs.readFileSync(path.resolve(__dirname, '../../../docs/errors.md'), 'utf8');
  assert.is(onDisk, render(), 'run `node scripts/gen-error-docs.js`');
  for (const code of Object.keys(ERROR_CODES)) assert.ok(onDisk.includes(code));
});

test.run();
