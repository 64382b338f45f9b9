/**
 * The workflow sandbox host, in both modes (runs sharing the bundle's context, and a
 * context per run): calls bounded by a timeout that breaks
 * only the sandbox that overran it, promise jobs finished within each call, forbidden
 * APIs that explain themselves, and workflow errors passed through untouched.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BastionError, BundleError, ConfigError, IllegalStateError, WorkflowError } from '../../src/common/errors';
import { bundleWorkflowCode } from '../../src/worker/bundler';
import { DEFAULT_SANDBOX_CALL_TIMEOUT_MS, WorkflowSandboxes, type WorkflowSandbox } from '../../src/worker/sandbox';
import { waitFor } from '../helpers/wait';
import { thrown } from '../helpers/errors';

const FIXTURES = path.resolve(__dirname, '../fixtures/sandbox');

interface Ctx {
  code: string;
  sandboxes: WorkflowSandboxes;
  logs: Array<{ level: string; message: string; meta?: object }>;
}

let bundled: Promise<string> | undefined;

for (const reuseContexts of [true, false]) {
  const test = suite<Ctx>(`workflow sandbox (${reuseContexts ? 'shared context' : 'context per run'})`);

  test.before(async (ctx) => {
    bundled ??= bundleWorkflowCode({ workflowsPath: path.join(FIXTURES, 'workflows.js'), runtimeModulePath: path.join(FIXTURES, 'runtime-stub.js') }).then(
      (b) => b.code,
    );
    ctx.code = await bundled;
    ctx.logs = [];
    const log = (level: string) => (message: string, meta?: object) => ctx.logs.push({ level, message, meta });
    ctx.sandboxes = new WorkflowSandboxes(ctx.code, {
      logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
      reuseContexts,
    });
    assert.is(ctx.sandboxes.sharesContext, reuseContexts);
  });

  /** A copy in this realm, so uvu's deep equality (which compares constructors) applies. */
  const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

  test('passes an argument in and the result out', ({ sandboxes }) => {
    const sandbox = sandboxes.create();
    assert.equal(plain(sandbox.call('echo', { a: [1, 'ü'] }, 1_000)), { echoed: { a: [1, 'ü'] } });
  });

  test('keeps global state of one sandbox out of another', ({ sandboxes }) => {
    const a = sandboxes.create();
    const b = sandboxes.create();
    a.call('setGlobal', { key: 'counter', value: 41 });
    assert.is(a.call('getGlobal', 'counter'), 41);
    assert.is(b.call('getGlobal', 'counter'), undefined);
    assert.is(sandboxes.create().call('getGlobal', 'counter'), undefined);
  });

  test('times out an infinite loop, breaks that sandbox only, and a new one still works', ({ sandboxes }) => {
    const sandbox = sandboxes.create();
    const started = Date.now();
    const err = thrown(() => sandbox.call('loop', undefined, 200)) as BastionError;
    const took = Date.now() - started;
    assert.ok(err instanceof WorkflowError);
    assert.is(err.code, 'ERR_WORKFLOW_TASK_DEADLOCK');
    assert.is(err.message, 'workflow code did not yield within 200 ms (infinite loop or heavy synchronous work); the workflow task fails and is retried');
    assert.ok(took >= 190 && took < 2_000, `took ${took} ms`);
    assert.ok(sandbox.broken);
    const again = thrown(() => sandbox.call('echo', 1)) as BastionError;
    assert.ok(again instanceof IllegalStateError);
    assert.match(again.message, /broken/);
    assert.equal(plain(sandboxes.create().call('echo', 'still healthy', 200)), { echoed: 'still healthy' });
  });

  test('times out an infinite loop in a promise job too', ({ sandboxes }) => {
    const sandbox = sandboxes.create();
    const err = thrown(() => sandbox.call('loopInPromiseJob', undefined, 200)) as BastionError;
    assert.is(err.code, 'ERR_WORKFLOW_TASK_DEADLOCK');
    assert.ok(sandbox.broken);
  });

  test('runs the promise jobs a call queues before the call returns', ({ sandboxes }) => {
    const state = sandboxes.create().call('asyncThing', 'microtask', 1_000) as { steps: string[] };
    assert.equal(plain(state.steps), ['start', 'after await', 'microtask']);
  });

  test('keeps AsyncLocalStorage values across awaits', ({ sandboxes }) => {
    const out = sandboxes.create().call('storage', { scope: 'root' }) as { seen?: unknown };
    assert.equal(plain(out.seen), { scope: 'root' });
  });

  test('forbids WeakRef and FinalizationRegistry with a clear message', ({ sandboxes }) => {
    const sandbox = sandboxes.create();
    for (const name of ['WeakRef', 'FinalizationRegistry']) {
      const err = thrown(() => sandbox.call('construct', name)) as Error & { code?: string };
      assert.is(
        err.message,
        `${name} is not allowed in workflow code: its behaviour depends on garbage collection, which breaks deterministic replay. Move the code that needs it to an activity.`,
      );
      assert.is(err.code, 'ERR_WORKFLOW_FORBIDDEN_API');
      assert.ok(err instanceof WorkflowError);
      assert.is(err.name, 'TypeError');
    }
    assert.ok(!sandbox.broken);
  });

  test('forbids code generation from strings', ({ sandboxes }) => {
    const sandbox = sandboxes.create();
    assert.throws(() => sandbox.call('evalString', undefined), /Code generation from strings disallowed/);
    assert.throws(() => sandbox.call('newFunction', undefined), /Code generation from strings disallowed/);
  });

  test('offers deterministic host APIs and no Node or timer globals', ({ sandboxes }) => {
    const sandbox = sandboxes.create();
    for (const name of ['TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'AsyncLocalStorage', 'queueMicrotask']) {
      assert.is(sandbox.call('typeOfGlobal', name), 'function', name);
    }
    for (const name of ['require', 'process', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'fetch', 'global', 'window', 'AbortController']) {
      assert.is(sandbox.call('typeOfGlobal', name), 'undefined', name);
    }
  });

  test('passes errors thrown by workflow code through as they are', ({ sandboxes }) => {
    const sandbox = sandboxes.create();
    const err = thrown(() => sandbox.call('throwError', 'out of range')) as Error;
    assert.is(err.name, 'RangeError');
    assert.is(err.message, 'out of range');
    assert.not.ok(err instanceof RangeError, 'an object of the sandbox realm');
    assert.not.ok(err instanceof BastionError);
    assert.not.ok(sandbox.broken);
    assert.equal(plain(sandbox.call('echo', 2)), { echoed: 2 });
  });

  test("maps stack traces to the workflow's files and stops at the sandbox entry", ({ sandboxes }) => {
    const stack = sandboxes.create().call('stack', undefined) as string;
    assert.match(stack, /^Error: where am I\n {4}at /);
    const at = /\((.*runtime-stub\.js):(\d+):(\d+)\)/.exec(stack);
    assert.ok(at, stack);
    // The position of `new Error('where am I')` in the compiled fixture.
    const source = fs.readFileSync(at[1]!, 'utf8').split('\n')[Number(at[2]) - 1]!;
    assert.is(source.indexOf("new Error('where am I')") + 1, Number(at[3]), source);
    assert.not.match(stack, /bastion-workflow-bundle\.js/);
    assert.not.match(stack, /node:vm/);
  });

  test('routes console to the logger', (ctx) => {
    ctx.logs.length = 0;
    ctx.sandboxes.create().call('log', ['hello %s', 'workflow', { n: 1 }]);
    assert.equal(ctx.logs, [{ level: 'info', message: 'hello workflow { n: 1 }', meta: { source: 'workflow console', level: 'log' } }]);
  });

  test('records an unhandled rejection on its sandbox and keeps the process alive', async (ctx) => {
    ctx.logs.length = 0;
    const sandbox = ctx.sandboxes.create();
    sandbox.call('rejectUnhandled', 'nobody listens');
    const err = await waitFor(() => sandbox.unhandledRejection, 5_000, 'the unhandled rejection');
    assert.ok(err instanceof WorkflowError);
    assert.is(err.code, 'ERR_WORKFLOW_UNHANDLED_REJECTION');
    assert.is((err.cause as Error).message, 'nobody listens');
    assert.ok(ctx.logs.some((l) => l.level === 'warn' && /unhandled/.test(l.message)));
    assert.is(ctx.sandboxes.create().unhandledRejection, undefined);
  });

  test('dispose is idempotent and later calls are refused', ({ sandboxes }) => {
    const sandbox: WorkflowSandbox = sandboxes.create();
    sandbox.dispose();
    sandbox.dispose();
    assert.ok(sandbox.disposed);
    const err = thrown(() => sandbox.call('echo', 1)) as BastionError;
    assert.ok(err instanceof IllegalStateError);
    assert.is(err.code, 'ERR_ILLEGAL_STATE');
    assert.match(err.message, /disposed/);
  });

  test('rejects an unknown entry point, a bundle without the runtime, and malformed input', ({ sandboxes }) => {
    const unknown = thrown(() => sandboxes.create().call('nope', 1)) as BastionError;
    assert.ok(unknown instanceof BundleError);
    assert.is(unknown.code, 'ERR_BUNDLE_INVALID');
    assert.match(unknown.message, /no `nope` entry point/);
    const noRuntime = thrown(() => new WorkflowSandboxes('var x = 1;').create()) as BastionError;
    assert.is(noRuntime.code, 'ERR_BUNDLE_INVALID');
    const notCode = thrown(() => new WorkflowSandboxes('function (')) as BastionError;
    assert.is(notCode.code, 'ERR_BUNDLE_INVALID');
    const empty = thrown(() => new WorkflowSandboxes('')) as BastionError;
    assert.ok(empty instanceof ConfigError);
    const badTimeout = thrown(() => sandboxes.create().call('echo', 1, 0)) as BastionError;
    assert.is(badTimeout.code, 'ERR_INVALID_OPTION');
    assert.match(badTimeout.message, /`timeoutMs`/);
  });

  test("bounds the bundle's top-level code by createTimeoutMs", () => {
    const err = thrown(() => new WorkflowSandboxes('for (;;) {}', { createTimeoutMs: 100 }).create()) as BastionError;
    assert.is(err.code, 'ERR_WORKFLOW_TASK_DEADLOCK');
  });

  test('reuses V8 code cache data', ({ code, sandboxes }) => {
    const cachedData = sandboxes.createCachedData();
    const again = new WorkflowSandboxes(code, { cachedData });
    assert.not.ok(again.cachedDataRejected);
    assert.equal(plain(again.create().call('echo', 3)), { echoed: 3 });
    assert.is(DEFAULT_SANDBOX_CALL_TIMEOUT_MS, 5_000);
  });

  test.run();
}
