/**
 * Runs sharing one sandbox context (`reuseContexts`, the worker's `reuseV8Context`): the
 * bundle is evaluated once, and each live run keeps its own module state, globals,
 * deterministic time and randomness; built-ins are frozen so no run changes what another
 * sees; a deadlock or an unhandled rejection is charged to the run that caused it. And
 * `runActivation`: a whole activation under one timeout.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AsyncLocalStorage } from 'node:async_hooks';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { BundleError, ConfigError, IllegalStateError, WorkflowError, type BastionError } from '../../src/common/errors';
import { defaultPayloadConverter } from '../../src/converter';
import { MODULE_CACHE_GLOBAL, bundleWorkflowCode } from '../../src/worker/bundler';
import { WorkflowSandboxes, type WorkflowSandbox } from '../../src/worker/sandbox';
import { ThreadSandboxes } from '../../src/worker/sandbox/thread-sandboxes';
import { compileWorkerOptions } from '../../src/worker/worker-options';
import { withTimeout } from '../helpers/wait';
import { quietLogger } from '../helpers/bastion-env';
import { liveContextsAfterGc } from '../helpers/gc';

/** Workflows (for the real runtime) with module state, globals, time, randomness, built-ins. */
const WORKFLOWS = `
import { sleep } from '@temporalio/workflow';
let count = 0;
export async function bump() { count++; await sleep(1000); count++; return count; }
export async function keepGlobal(value) { globalThis.mine = value; await sleep(1000); return [globalThis.mine, typeof globalThis.Map]; }
export async function replaceGlobal() { globalThis.Map = null; delete globalThis.Set; await sleep(1000); return [globalThis.Map, typeof globalThis.Set]; }
export async function probeGlobals() { return [typeof globalThis.mine, typeof globalThis.Map, typeof globalThis.Set]; }
export async function timeAndRandom() {
  const first = [Date.now(), Math.random()];
  await sleep(1000);
  return [...first, new Date().getTime(), Math.random()];
}
class MyError extends Error { constructor() { super('mine'); this.name = 'MyError'; } }
export async function tamper() {
  const attempts = [
    () => { Array.prototype.leaked = 1; },
    () => { Object.prototype.polluted = 1; },
    () => { Math.max = () => -1; },
    () => { JSON.stringify = () => 'hijacked'; },
    () => { Math.random = () => 0.5; },
    () => { Date.now = () => 0; },
    () => { Object.setPrototypeOf(Map.prototype, Array.prototype); },
  ];
  const out = [];
  for (const attempt of attempts) {
    try { attempt(); out.push('changed'); } catch (err) { out.push(err.name); }
  }
  return out;
}
export async function inspect() {
  return [typeof [].leaked, typeof ({}).polluted, Math.max(1, 2), JSON.stringify({ a: 1 }), new Map() instanceof Array];
}
export async function overrides() {
  const e = new MyError();
  const o = {};
  o.toString = () => 'own toString';
  return [e.name, String(e), String(o)];
}
export async function spin() { await sleep(1000); for (;;) {} }
export async function leaveRejection(message) { void Promise.reject(new Error(message)); await sleep(1000); }
export async function lockGlobal() { Object.defineProperty(globalThis, 'locked', { value: 1, configurable: false }); await sleep(1000); }
`;

/** A runtime stub recording the order of the three activation entry points. */
const RUNTIME = `
export function installRuntime(workflows) {
  const log = [];
  let unblocks = 0;
  globalThis.__bastion = {
    activate: (a) => {
      log.push('activate ' + a.n);
      void Promise.resolve().then(() => log.push('job of activate'));
      if (a.loop) void Promise.resolve().then(() => { for (;;) {} });
    },
    tryUnblockConditions: () => {
      unblocks++;
      log.push('unblock ' + unblocks);
      void Promise.resolve().then(() => log.push('job of unblock ' + unblocks));
      return unblocks < 3;
    },
    concludeActivation: () => ({ log: log.slice() }),
  };
}
`;

interface Ctx {
  code: string;
  stubCode: string;
}

const test = suite<Ctx>('runs sharing a sandbox context');
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const T0 = 1_700_000_000_000;

test.before(async (ctx) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-context-reuse-'));
  try {
    fs.writeFileSync(path.join(dir, 'workflows.mjs'), WORKFLOWS);
    fs.writeFileSync(path.join(dir, 'runtime.mjs'), RUNTIME);
    ctx.code = (await bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows.mjs') })).code;
    ctx.stubCode = (await bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows.mjs'), runtimeModulePath: path.join(dir, 'runtime.mjs') })).code;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

interface Completion {
  commands: Array<{ command: Record<string, any>; kind?: string; seq?: number }>;
  taskFailure?: { message?: string };
}

/** Starts `workflowType` in a new sandbox; returns the sandbox and the first completion. */
function start(sandboxes: WorkflowSandboxes, workflowType: string, args: unknown[] = [], seed = 1, id = workflowType): { s: WorkflowSandbox; c: Completion } {
  const s = sandboxes.create();
  const c = s.runActivation(
    {
      timestampMs: T0 + seed,
      isReplaying: false,
      historyLength: 3,
      historySizeBytes: 300,
      continueAsNewSuggested: false,
      jobs: [
        {
          type: 'start',
          workflowType,
          args: args.map((a) => defaultPayloadConverter.toPayload(a)),
          headers: {},
          randomnessSeed: seed,
          info: {
            workflowId: id,
            runId: `run-${id}`,
            workflowType,
            namespace: 'default',
            taskQueue: 'q',
            firstExecutionRunId: `run-${id}`,
            originalExecutionRunId: `run-${id}`,
            attempt: 1,
            startTimeMs: T0,
            runStartTimeMs: T0,
            taskTimeoutMs: 10_000,
          },
        },
      ],
    },
    1_000,
  ) as Completion;
  return { s, c };
}

/** Fires timer 1 of the run at `at`. */
function fireTimer(s: WorkflowSandbox, at: number, timeoutMs = 1_000): Completion {
  return s.runActivation(
    { timestampMs: at, isReplaying: false, historyLength: 7, historySizeBytes: 700, continueAsNewSuggested: false, jobs: [{ type: 'fireTimer', seq: 1 }] },
    timeoutMs,
  ) as Completion;
}

/** The workflow's result from a completion that completes it. */
function result(c: Completion): unknown {
  const attrs = c.commands.find((x) => x.command.commandType === 4)?.command.completeWorkflowExecutionCommandAttributes;
  if (!attrs) throw new Error(`the workflow did not complete: ${JSON.stringify(plain(c))}`);
  return plain(defaultPayloadConverter.fromPayload(attrs.result.payloads[0]));
}

test('runs share the context, and each live run keeps its own module state', ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  assert.ok(sandboxes.sharesContext);
  const a = start(sandboxes, 'bump');
  const b = start(sandboxes, 'bump');
  assert.is(a.c.commands[0]?.kind, 'timer');
  assert.is(b.c.commands[0]?.kind, 'timer');
  assert.is(result(fireTimer(a.s, T0 + 10)), 2);
  assert.is(result(fireTimer(b.s, T0 + 10)), 2);
});

test('each run keeps its own globals, and a new run sees none of them', ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  const a = start(sandboxes, 'keepGlobal', ['a']);
  const b = start(sandboxes, 'keepGlobal', ['b']);
  const c = start(sandboxes, 'replaceGlobal');
  assert.equal(result(start(sandboxes, 'probeGlobals').c), ['undefined', 'function', 'function']);
  assert.equal(result(fireTimer(b.s, T0 + 10)), ['b', 'function']);
  assert.equal(result(fireTimer(c.s, T0 + 10)), [null, 'undefined']);
  assert.equal(result(fireTimer(a.s, T0 + 10)), ['a', 'function']);
  assert.equal(result(start(sandboxes, 'probeGlobals').c), ['undefined', 'function', 'function']);
});

test("Date and Math.random follow each run's activation time and seed", ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  const a = start(sandboxes, 'timeAndRandom', [], 1);
  const b = start(sandboxes, 'timeAndRandom', [], 2);
  const ra = result(fireTimer(a.s, T0 + 1_000)) as number[];
  const rb = result(fireTimer(b.s, T0 + 2_000)) as number[];
  assert.is(ra[0], T0 + 1);
  assert.is(ra[2], T0 + 1_000);
  assert.is(rb[0], T0 + 2);
  assert.is(rb[2], T0 + 2_000);
  assert.is.not(ra[1], rb[1]);
  // The same seed replays the same stream, whatever ran in between.
  const again = start(sandboxes, 'timeAndRandom', [], 1);
  assert.equal(result(fireTimer(again.s, T0 + 1_000)), ra);
});

test("a run's attempts to change built-ins throw, and other runs see pristine built-ins", ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  const live = start(sandboxes, 'bump');
  assert.equal(result(start(sandboxes, 'tamper').c), ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
  assert.equal(result(start(sandboxes, 'inspect').c), ['undefined', 'undefined', 2, '{"a":1}', false]);
  assert.is(result(fireTimer(live.s, T0 + 10)), 2);
});

test('assigning a property a frozen prototype has still creates an own property', ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  assert.equal(result(start(sandboxes, 'overrides').c), ['MyError', 'MyError: mine', 'own toString']);
});

test('a deadlock breaks only the run that overran; other live runs continue', ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  const other = start(sandboxes, 'bump');
  const stuck = start(sandboxes, 'spin');
  const started = Date.now();
  try {
    fireTimer(stuck.s, T0 + 10, 200);
    assert.unreachable('the loop should time out');
  } catch (err) {
    assert.instance(err, WorkflowError);
    assert.is((err as BastionError).code, 'ERR_WORKFLOW_TASK_DEADLOCK');
  }
  assert.ok(Date.now() - started < 2_000);
  assert.ok(stuck.s.broken);
  assert.not.ok(other.s.broken);
  assert.is(result(fireTimer(other.s, T0 + 10)), 2);
  assert.is(result(fireTimer(start(sandboxes, 'bump').s, T0 + 10)), 2);
});

test('an unhandled rejection is charged to the run whose code left it', async ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  const a = start(sandboxes, 'leaveRejection', ['from run A']);
  const clean = start(sandboxes, 'bump');
  const b = start(sandboxes, 'leaveRejection', ['from run B']);
  await withTimeout(
    5_000,
    async () => {
      while (!a.s.unhandledRejection || !b.s.unhandledRejection) await nextTurn();
    },
    'both rejections',
  );
  assert.match(a.s.unhandledRejection!.message, /from run A/);
  assert.match(b.s.unhandledRejection!.message, /from run B/);
  assert.is(a.s.unhandledRejection!.code, 'ERR_WORKFLOW_UNHANDLED_REJECTION');
  assert.is(clean.s.unhandledRejection, undefined);
});

test('a run that pins a global retires the context; later runs get a new one', ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  const live = start(sandboxes, 'bump');
  start(sandboxes, 'lockGlobal');
  const next = start(sandboxes, 'probeGlobals');
  assert.equal(result(next.c), ['undefined', 'function', 'function']);
  // The live run of the retired context cannot have the pinned global put away.
  try {
    fireTimer(live.s, T0 + 10);
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, IllegalStateError);
    assert.match((err as Error).message, /locked/);
  }
});

test('disposing runs lets go of them, and dispose is idempotent', ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  for (let i = 0; i < 20; i++) {
    const { s } = start(sandboxes, 'keepGlobal', [`run ${i}`]);
    s.dispose();
    s.dispose();
    assert.ok(s.disposed);
  }
  assert.equal(result(start(sandboxes, 'probeGlobals').c), ['undefined', 'function', 'function']);
});

test('the state of disposed runs can be collected', async ({ code }) => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
  const refs: Array<WeakRef<object>> = [];
  for (let i = 0; i < 50; i++) {
    const { s } = start(sandboxes, 'keepGlobal', [`run ${i}`], i + 1, `wf-${i}`);
    // The run's entry points hold its Activator (and through it its workflow state).
    refs.push(new WeakRef((s as unknown as { realm: { runtime: object } }).realm.runtime));
    s.dispose();
  }
  // No `deref()` before the collections: it would keep its target alive until the job ends.
  for (let i = 0; i < 3; i++) {
    await nextTurn();
    gc();
  }
  assert.equal(
    refs.map((r, i) => (r.deref() === undefined ? -1 : i)).filter((i) => i >= 0),
    [],
  );
});

test("closing sandboxes disables their shared context's host-side AsyncLocalStorage, so Node's list of enabled ones lets it go", async ({ code }) => {
  const contextsBefore = await liveContextsAfterGc();
  const storages: Array<WeakRef<AsyncLocalStorage<unknown>>> = [];
  for (let i = 0; i < 8; i++) {
    const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger });
    const { s } = start(sandboxes, 'probeGlobals');
    // The store that tells which run a rejected promise belongs to: enabled by the run's calls.
    storages.push(new WeakRef((sandboxes as unknown as { context: { runs: AsyncLocalStorage<unknown> } }).context.runs));
    s.dispose();
    sandboxes.close();
  }
  const contextsKept = (await liveContextsAfterGc()) - contextsBefore;
  // No `deref()` before the collections: it would keep its target alive until the job ends.
  const alive = storages.filter((r) => r.deref() !== undefined).length;
  // One may stay with the last context (as in the replay test); an enabled one never goes.
  assert.ok(alive <= 1, `${alive} of 8 closed contexts' AsyncLocalStorage instances are still alive`);
  assert.ok(contextsKept <= 1, `8 closed sandboxes kept ${contextsKept} contexts alive`);
});

test('with reuseContexts: false every run gets a context of its own', ({ code }) => {
  const sandboxes = new WorkflowSandboxes(code, { logger: quietLogger, reuseContexts: false });
  assert.not.ok(sandboxes.sharesContext);
  const a = start(sandboxes, 'bump');
  const b = start(sandboxes, 'keepGlobal', ['b']);
  start(sandboxes, 'replaceGlobal');
  assert.equal(result(start(sandboxes, 'probeGlobals').c), ['undefined', 'function', 'function']);
  assert.is(result(fireTimer(a.s, T0 + 10)), 2);
  assert.equal(result(fireTimer(b.s, T0 + 10)), ['b', 'function']);
});

test('a bundle that does not route its module cache through the global gets a context per run, with a debug note', ({ code }) => {
  const notes: string[] = [];
  const legacy = code.replace(`${MODULE_CACHE_GLOBAL} || {}`, '{}');
  assert.is.not(legacy, code);
  const sandboxes = new WorkflowSandboxes(legacy, { logger: { ...quietLogger, debug: (m: string) => void notes.push(m) } });
  assert.not.ok(sandboxes.sharesContext);
  assert.is(notes.length, 1);
  const a = start(sandboxes, 'bump');
  const b = start(sandboxes, 'bump');
  assert.is(result(fireTimer(a.s, T0 + 10)), 2);
  assert.is(result(fireTimer(b.s, T0 + 10)), 2);
});

test("sandboxes in a thread share the thread's context without sharing module state", async ({ code }) => {
  const threads = new ThreadSandboxes(code, 1, quietLogger);
  try {
    await withTimeout(
      10_000,
      async () => {
        const start1 = (id: string) => ({
          timestampMs: T0,
          isReplaying: false,
          historyLength: 3,
          historySizeBytes: 300,
          continueAsNewSuggested: false,
          jobs: [
            {
              type: 'start',
              workflowType: 'bump',
              args: [],
              headers: {},
              randomnessSeed: 1,
              info: {
                workflowId: id,
                runId: id,
                workflowType: 'bump',
                namespace: 'default',
                taskQueue: 'q',
                firstExecutionRunId: id,
                originalExecutionRunId: id,
                attempt: 1,
                startTimeMs: T0,
                runStartTimeMs: T0,
                taskTimeoutMs: 10_000,
              },
            },
          ],
        });
        const fire = {
          timestampMs: T0 + 10,
          isReplaying: false,
          historyLength: 7,
          historySizeBytes: 700,
          continueAsNewSuggested: false,
          jobs: [{ type: 'fireTimer', seq: 1 }],
        };
        const a = threads.create();
        const b = threads.create();
        await a.activate(start1('a'), 1_000);
        await b.activate(start1('b'), 1_000);
        assert.is(result((await a.activate(fire, 1_000)) as Completion), 2);
        assert.is(result((await b.activate(fire, 1_000)) as Completion), 2);
        a.dispose();
        b.dispose();
      },
      'thread runs',
    );
  } finally {
    await threads.close();
  }
});

test("errors and deadlocks of the workflow module's top-level code come out of create(), run after run", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-context-reuse-'));
  try {
    fs.writeFileSync(path.join(dir, 'throws.mjs'), "throw new RangeError('top-level failure');\nexport function x() {}");
    fs.writeFileSync(path.join(dir, 'loops.mjs'), 'for (;;) {}\nexport function x() {}');
    const throws = new WorkflowSandboxes((await bundleWorkflowCode({ workflowsPath: path.join(dir, 'throws.mjs') })).code, { logger: quietLogger });
    const loops = new WorkflowSandboxes((await bundleWorkflowCode({ workflowsPath: path.join(dir, 'loops.mjs') })).code, {
      logger: quietLogger,
      createTimeoutMs: 100,
    });
    for (let i = 0; i < 2; i++) {
      assert.throws(
        () => throws.create(),
        (err: Error) => err.name === 'RangeError' && err.message === 'top-level failure',
      );
      assert.throws(
        () => loops.create(),
        (err: BastionError) => err.code === 'ERR_WORKFLOW_TASK_DEADLOCK',
      );
    }
    assert.ok(throws.sharesContext);
    assert.ok(loops.sharesContext);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("runActivation runs activate, the conditions and conclude with each step's promise jobs in between", ({ stubCode }) => {
  for (const reuseContexts of [true, false]) {
    const s = new WorkflowSandboxes(stubCode, { reuseContexts }).create();
    const c = plain(s.runActivation({ n: 1 }, 1_000));
    assert.equal(c, {
      log: ['activate 1', 'job of activate', 'unblock 1', 'job of unblock 1', 'unblock 2', 'job of unblock 2', 'unblock 3', 'job of unblock 3'],
    });
  }
});

test('runActivation times out a promise job that never ends, and breaks only that sandbox', ({ stubCode }) => {
  const sandboxes = new WorkflowSandboxes(stubCode);
  const other = sandboxes.create();
  const s = sandboxes.create();
  try {
    s.runActivation({ n: 1, loop: true }, 100);
    assert.unreachable('the promise job should time out');
  } catch (err) {
    assert.instance(err, WorkflowError);
    assert.is((err as BastionError).code, 'ERR_WORKFLOW_TASK_DEADLOCK');
  }
  assert.ok(s.broken);
  assert.equal((plain(other.runActivation({ n: 2 }, 1_000)) as { log: string[] }).log[0], 'activate 2');
});

test("runActivation needs the runtime's three entry points", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-context-reuse-'));
  try {
    fs.writeFileSync(path.join(dir, 'workflows.mjs'), 'export function x() {}');
    fs.writeFileSync(path.join(dir, 'runtime.mjs'), 'export function installRuntime() { globalThis.__bastion = { activate() {} }; }');
    const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dir, 'workflows.mjs'), runtimeModulePath: path.join(dir, 'runtime.mjs') });
    const s = new WorkflowSandboxes(code).create();
    try {
      s.runActivation({}, 1_000);
      assert.unreachable('should throw');
    } catch (err) {
      assert.instance(err, BundleError);
      assert.is((err as BastionError).code, 'ERR_BUNDLE_INVALID');
      assert.match((err as Error).message, /`tryUnblockConditions`/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("rejects malformed reuse options with the option's name", ({ code }) => {
  try {
    new WorkflowSandboxes(code, { reuseContexts: 'yes' as never });
    assert.unreachable('should throw');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.is((err as BastionError).code, 'ERR_INVALID_OPTION');
    assert.match((err as Error).message, '`reuseContexts`');
  }
  try {
    compileWorkerOptions({ taskQueue: 'q', activities: { a: async () => undefined }, reuseV8Context: 1 as never });
    assert.unreachable('should throw');
  } catch (err) {
    assert.is((err as BastionError).code, 'ERR_INVALID_OPTION');
    assert.match((err as Error).message, '`reuseV8Context`');
  }
  assert.is(compileWorkerOptions({ taskQueue: 'q', activities: { a: async () => undefined } }).reuseV8Context, true);
});

test.run();
