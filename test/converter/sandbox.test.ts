/**
 * The converter in a `node:vm` realm, as in the workflow sandbox: it loads with no Node
 * built-ins and no runtime `@temporalio/*` package, writes the same payloads, and its
 * failures are recognised by the host's classes (and the other way round).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import * as host from '../../src/converter';

const DIST_SRC = path.resolve(__dirname, '../../src');

/**
 * Pure-JavaScript packages the converter may use: webpack bundles them into the workflow
 * bundle, so they must need nothing from Node (they are loaded in the realm too, and their
 * own requires are checked the same way).
 */
const SANDBOX_SAFE_PACKAGES = new Set(['ms']);

/** Loads dist/src/converter/index.js into a fresh realm; `require` resolves Bastion's own relative modules and the sandbox-safe packages only. */
function loadInRealm(): { converter: typeof host; requested: string[] } {
  const context = vm.createContext({ TextEncoder, TextDecoder });
  const cache = new Map<string, { exports: unknown }>();
  const requested: string[] = [];
  function load(file: string): unknown {
    const cached = cache.get(file);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    cache.set(file, module);
    const wrapper = vm.runInContext(`(function (exports, require, module) {${fs.readFileSync(file, 'utf8')}\n})`, context, { filename: file });
    const localRequire = (id: string) => {
      requested.push(id);
      if (SANDBOX_SAFE_PACKAGES.has(id)) return load(require.resolve(id));
      if (!id.startsWith('.')) throw new Error(`the converter required \`${id}\`, which the workflow sandbox does not have`);
      const target = path.resolve(path.dirname(file), id);
      return load(fs.existsSync(`${target}.js`) ? `${target}.js` : path.join(target, 'index.js'));
    };
    wrapper(module.exports, localRequire, module);
    return module.exports;
  }
  const converter = load(path.join(DIST_SRC, 'converter', 'index.js')) as typeof host;
  return { converter, requested };
}

const sandbox = suite('converter in a vm realm');
const { converter: inner, requested } = loadInRealm();

sandbox('loads with only relative requires and pure-JS packages (no Node built-ins, no @temporalio runtime)', () => {
  assert.ok(requested.length > 0);
  for (const id of requested) assert.ok(id.startsWith('.') || SANDBOX_SAFE_PACKAGES.has(id), id);
  for (const id of requested) assert.not.ok(/node:|^fs$|^buffer$|@temporalio/.test(id), id);
  // The host-only loader of `payloadConverterPath` (it `require`s modules) stays out of the sandbox.
  for (const id of requested) assert.not.ok(/load-data-converter/.test(id), id);
  assert.is((inner as Record<string, unknown>).loadDataConverter, undefined);
});

sandbox('writes the same payload bytes as the host', () => {
  for (const value of ['x', { a: [1, 'ü'] }, null, undefined, new Uint8Array([5])]) {
    const a = inner.defaultPayloadConverter.toPayload(value);
    const b = host.defaultPayloadConverter.toPayload(value);
    assert.equal(a.data ? [...a.data] : a.data, b.data ? [...b.data] : b.data);
    assert.equal([...a.metadata!.encoding!], [...b.metadata!.encoding!]);
  }
});

sandbox('failures made in the realm are instances of the host classes, and vice versa', () => {
  const fromInside = inner.ApplicationFailure.nonRetryable('inside', 'Inner');
  assert.not.ok(Object.getPrototypeOf(fromInside) === host.ApplicationFailure.prototype);
  assert.ok(fromInside instanceof host.ApplicationFailure);
  assert.ok(fromInside instanceof host.TemporalFailure);
  assert.not.ok(fromInside instanceof host.CancelledFailure);
  assert.ok(new host.CancelledFailure('outside') instanceof inner.CancelledFailure);
  assert.ok(inner.isCancellation(new host.ActivityFailure('a', 't', '1', undefined, undefined, new host.CancelledFailure('c'))));
});

sandbox('a failure encoded in the realm decodes on the host with its class and details', () => {
  const err = inner.ApplicationFailure.create({ message: 'from the workflow', type: 'Oops', details: [{ n: 1 }], cause: new inner.CancelledFailure('why') });
  const failure = inner.errorToFailure(err, inner.defaultPayloadConverter);
  const back = host.failureToError(failure, host.defaultPayloadConverter) as host.ApplicationFailure;
  assert.ok(back instanceof host.ApplicationFailure);
  assert.equal([back.message, back.type, back.details], ['from the workflow', 'Oops', [{ n: 1 }]]);
  assert.ok(back.cause instanceof host.CancelledFailure);
});

sandbox('a payload converter error thrown in the realm keeps its code', () => {
  try {
    inner.defaultPayloadConverter.toPayload(() => 1);
    assert.unreachable('expected an error');
  } catch (err) {
    assert.ok(err instanceof host.PayloadConverterError);
    assert.is((err as host.PayloadConverterError).code, 'ERR_PAYLOAD_CONVERTER');
  }
});

sandbox.run();
