/**
 * `@temporalio/worker` stays an optional peer: the root and every other subpath load
 * without it (and never load it), and `bastion-temporal/native` without it throws
 * `ERR_NATIVE_PEER_MISSING` naming the package, the range and the install command. Absence
 * is simulated in a child process whose module resolution refuses the official packages.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runNode } from '../helpers/processes';
import { timed } from '../helpers/wait';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string> };
const OFFICIAL = /[\\/]node_modules[\\/]@temporalio[\\/](worker|client|core-bridge)[\\/]/;

const test = suite('native: the optional peer dependency');
let tmp: string;
let hideHook: string;

test.before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-peer-'));
  hideHook = path.join(tmp, 'hide-official.js');
  // Resolution of the official packages fails as it does when they are not installed.
  fs.writeFileSync(
    hideHook,
    `const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^@temporalio\\/(worker|client|common|core-bridge)(\\/|$)/.test(request)) {
    const err = new Error("Cannot find module '" + request + "'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
`,
  );
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const subpaths = (): Array<[string, string]> =>
  Object.entries(pkg.exports)
    .filter(([name, target]) => name !== './native' && target.endsWith('.js'))
    .map(([name, target]) => [name, path.join(ROOT, target)]);

const NATIVE = JSON.stringify(path.join(ROOT, pkg.exports['./native']!));

test(
  'the root and every other subpath load without loading the official packages (installed here); bastion-temporal/native then loads them',
  timed(30_000, async () => {
    const script = `
const files = ${JSON.stringify(subpaths().map(([, f]) => f))};
for (const f of files) require(f);
const loaded = Object.keys(require.cache).filter((k) => ${OFFICIAL}.test(k));
const n = require(${NATIVE});
const after = Object.keys(require.cache).some((k) => ${OFFICIAL}.test(k));
process.stdout.write(JSON.stringify({ count: files.length, loaded, native: typeof n.connectNative + ' ' + n.NATIVE_PEER_RANGE, after }));
`;
    const { code, stdout, stderr } = await runNode(['-e', script]);
    assert.is(code, 0, stderr);
    const out = JSON.parse(stdout) as { count: number; loaded: string[]; native: string; after: boolean };
    assert.ok(out.count >= 8, `every subpath was required (${out.count})`);
    assert.equal(out.loaded, [], 'no @temporalio/worker, client or core-bridge module was loaded');
    assert.is(out.native, 'function ^1.24.0');
    assert.ok(out.after, 'the native subpath loads @temporalio/worker');
  }),
);

test(
  'without the official packages, every other subpath loads and bastion-temporal/native throws ERR_NATIVE_PEER_MISSING naming the package, range and command',
  timed(30_000, async () => {
    const script = `
for (const f of ${JSON.stringify(subpaths().map(([, f]) => f))}) require(f);
try { require(${NATIVE}); process.stdout.write(JSON.stringify({ loaded: true })); }
catch (err) {
  const { BastionError } = require(${JSON.stringify(path.join(ROOT, pkg.exports['.']!))});
  process.stdout.write(JSON.stringify({ bastion: err instanceof BastionError, name: err.name, code: err.code, message: err.message }));
}`;
    const { code, stdout, stderr } = await runNode(['--require', hideHook, '-e', script]);
    assert.is(code, 0, stderr);
    const out = JSON.parse(stdout) as { bastion: boolean; name: string; code: string; message: string };
    assert.ok(out.bastion, 'a BastionError');
    assert.is(out.name, 'ConfigError');
    assert.is(out.code, 'ERR_NATIVE_PEER_MISSING');
    assert.match(out.message, '`@temporalio/worker` ^1.24.0');
    assert.match(out.message, 'is not installed');
    assert.match(out.message, 'npm install @temporalio/worker@^1.24.0');
  }),
);

test.run();
