/**
 * bundleWorkflowCode: one self-contained script per workflows module, the same code for
 * the same options, disallowed imports reported with their import chains, webpack
 * failures as typed errors, and `@temporalio/workflow` mapped to Bastion's API.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { builtinModules } from 'node:module';
import { BastionError, BundleError, ConfigError } from '../../src/common/errors';
import { bundleWorkflowCode, DEFAULT_RUNTIME_MODULE_PATH, DEFAULT_WORKFLOW_MODULE_ALIASES, type BundleOptions } from '../../src/worker/bundler';
import { WorkflowSandboxes } from '../../src/worker/sandbox';
import { timed } from '../helpers/wait';
import { rejection } from '../helpers/errors';

const FIXTURES = path.resolve(__dirname, '../fixtures/sandbox');
const fixture = (name: string) => path.join(FIXTURES, name);
const STUB_RUNTIME = fixture('runtime-stub.js');
const DIST_SRC = path.resolve(__dirname, '../../src');

/** A copy in this realm, so uvu's deep equality (which compares constructors) applies. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const bundle = (options: Partial<BundleOptions> & { workflowsPath: string }) => bundleWorkflowCode({ runtimeModulePath: STUB_RUNTIME, ...options });

let tmp: string;
const tmpFile = (name: string, source: string) => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, source);
  return file;
};

const test = suite('bundleWorkflowCode');
test.before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-bundler-'));
});
test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test(
  'bundles workflows and the runtime into one script that requires nothing',
  timed(30_000, async () => {
    const { code, sourceMap } = await bundle({ workflowsPath: fixture('workflows.js') });
    const withoutWebpackRequire = code.replace(/__webpack_require__/g, '');
    assert.not.match(withoutWebpackRequire, /\brequire\s*\(/);
    for (const name of builtinModules) assert.not.ok(code.includes(`require("${name}")`) || code.includes(`require('${name}')`), name);
    assert.match(code, /\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,/);
    assert.ok(sourceMap && JSON.parse(sourceMap).sources.some((s: string) => s.endsWith('workflows.js')));
    const sandbox = new WorkflowSandboxes(code).create();
    assert.equal(plain(sandbox.call('workflowNames', undefined)), ['failsAssertion', 'greet', 'hostOf', 'utf8Length']);
    sandbox.dispose();
  }),
);

test(
  'gives the same code for the same options, from any working directory',
  timed(30_000, async () => {
    const a = await bundle({ workflowsPath: fixture('workflows.js') });
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const b = await bundle({ workflowsPath: fixture('workflows.js') });
      assert.ok(a.code === b.code, 'bundles differ');
    } finally {
      process.chdir(cwd);
    }
  }),
);

test(
  'bundles a workflows directory through its index',
  timed(30_000, async () => {
    const { code } = await bundle({ workflowsPath: fixture('dir-workflows') });
    const sandbox = new WorkflowSandboxes(code).create();
    assert.is(sandbox.call('run', { name: 'fromDirectory', args: [] }), 'directory module');
  }),
);

test(
  'lets workflow code use assert, url and util',
  timed(30_000, async () => {
    const sandbox = new WorkflowSandboxes((await bundle({ workflowsPath: fixture('workflows.js') })).code).create();
    assert.is(sandbox.call('run', { name: 'greet', args: ['Ada'] }), 'hello, Ada');
    assert.is(sandbox.call('run', { name: 'hostOf', args: ['https://example.test:8443/x?y=1'] }), 'example.test:8443');
    assert.is(sandbox.call('run', { name: 'utf8Length', args: ['ü'] }), 2);
    try {
      sandbox.call('run', { name: 'failsAssertion', args: [] });
      assert.unreachable('the assertion should fail');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_ASSERTION');
    }
  }),
);

test(
  'fails on a disallowed import, naming each module with its import chain',
  timed(30_000, async () => {
    const err = await rejection(bundle({ workflowsPath: fixture('imports-fs.js') }), BastionError);
    assert.ok(err instanceof BundleError);
    assert.is(err.code, 'ERR_BUNDLE_DISALLOWED_MODULE');
    assert.ok(err.message.includes(`'fs': imports-fs.js → ${path.join('helpers', 'uses-fs.js')} → 'fs'`), err.message);
    assert.ok(err.message.includes(`'node:child_process': imports-fs.js → ${path.join('helpers', 'uses-fs.js')} → 'node:child_process'`), err.message);
    assert.match(err.message, /activity/);
    assert.match(err.message, /`ignoreModules`: \["fs","child_process"\]/);
  }),
);

test(
  'replaces modules in ignoreModules by empty modules, with or without node:',
  timed(30_000, async () => {
    for (const ignoreModules of [
      ['fs', 'child_process'],
      ['node:fs', 'node:child_process'],
    ]) {
      const { code } = await bundle({ workflowsPath: fixture('imports-fs.js'), ignoreModules });
      const sandbox = new WorkflowSandboxes(code).create();
      assert.equal(plain(sandbox.call('workflowNames', undefined)), ['configured']);
      assert.throws(() => sandbox.call('run', { name: 'configured', args: [] }), /readFileSync is not a function/);
    }
  }),
);

test(
  'fails on client, worker and activity packages in workflow code',
  timed(30_000, async () => {
    const file = tmpFile('uses-client.js', "const { Client } = require('@temporalio/client');\nexports.start = () => new Client();\n");
    const err = await rejection(bundle({ workflowsPath: file }), BastionError);
    assert.is(err.code, 'ERR_BUNDLE_DISALLOWED_MODULE');
    assert.match(err.message, /'@temporalio\/client': uses-client\.js → '@temporalio\/client'/);
  }),
);

test(
  "reports a syntax error as ERR_BUNDLE_FAILED with webpack's message",
  timed(30_000, async () => {
    const file = tmpFile('broken.js', 'export function broken( {\n');
    const err = await rejection(bundle({ workflowsPath: file }), BastionError);
    assert.ok(err instanceof BundleError);
    assert.is(err.code, 'ERR_BUNDLE_FAILED');
    assert.match(err.message, /broken\.js/);
    assert.match(err.message, /Module parse failed/);
  }),
);

test(
  'reports a module that cannot be found as ERR_BUNDLE_FAILED',
  timed(30_000, async () => {
    const file = tmpFile('missing.js', "export { x } from './nowhere';\n");
    const err = await rejection(bundle({ workflowsPath: file }), BastionError);
    assert.is(err.code, 'ERR_BUNDLE_FAILED');
    assert.match(err.message, /Can't resolve '\.\/nowhere'/);
  }),
);

test(
  'hints at compiling first when workflowsPath is a TypeScript file',
  timed(30_000, async () => {
    const file = tmpFile('typed.ts', 'export function typed(x: number): number { return x; }\n');
    const err = await rejection(bundle({ workflowsPath: file }), BastionError);
    assert.is(err.code, 'ERR_BUNDLE_FAILED');
    assert.match(err.message, /compiled `\.js` file/);
  }),
);

test(
  'maps @temporalio/workflow to the workflow API given in the alias table',
  timed(30_000, async () => {
    const target = fixture('fake-workflow-api.js');
    const { code } = await bundle({ workflowsPath: fixture('uses-temporal-workflow.js'), moduleAliases: { '@temporalio/workflow': target } });
    assert.ok(code.includes('fake-workflow-api.js'));
    assert.not.ok(code.includes(path.join('node_modules', '@temporalio', 'workflow')));
    const sandbox = new WorkflowSandboxes(code).create();
    assert.is(sandbox.call('run', { name: 'apiMarker', args: [] }), 'fixture workflow api');
  }),
);

test("maps @temporalio/workflow and bastion/workflow to Bastion's compiled workflow API by default", () => {
  const api = path.join(DIST_SRC, 'workflow', 'index.js');
  assert.equal({ ...DEFAULT_WORKFLOW_MODULE_ALIASES }, { '@temporalio/workflow': api, 'bastion-temporal/workflow': api });
  assert.is(DEFAULT_RUNTIME_MODULE_PATH, path.join(DIST_SRC, 'workflow', 'runtime', 'install.js'));
});

test(
  "bundles official-SDK workflow files with Bastion's own API and runtime",
  timed(60_000, async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: path.resolve(__dirname, '../fixtures/workflows.js') });
    assert.ok(code.includes('src/workflow/index.js'));
    assert.not.ok(code.includes('node_modules/@temporalio/workflow'));
    // create() checks that the runtime installed `globalThis.__bastion`.
    new WorkflowSandboxes(code).create().dispose();
  }),
);

test(
  'bundles payloadConverterPath and hands it to the runtime',
  timed(30_000, async () => {
    const { code } = await bundle({ workflowsPath: fixture('workflows.js'), payloadConverterPath: fixture('payload-converter.js') });
    const sandbox = new WorkflowSandboxes(code).create();
    assert.is(sandbox.call('payloadConverterName', undefined), 'fixture payload converter');
  }),
);

test(
  'applies webpackConfigHook and reports to the logger',
  timed(30_000, async () => {
    const infos: Array<{ message: string; meta?: object }> = [];
    const logger = { debug() {}, warn() {}, info: (message: string, meta?: object) => infos.push({ message, meta }) };
    let seenMode: unknown;
    const { code, sourceMap } = await bundle({
      workflowsPath: fixture('workflows.js'),
      logger,
      webpackConfigHook: (config) => {
        seenMode = config.mode;
        return { ...config, devtool: false };
      },
    });
    assert.is(seenMode, 'development');
    assert.not.match(code, /sourceMappingURL=data:/);
    assert.is(sourceMap, undefined);
    assert.is(infos.length, 1);
    assert.is((infos[0]!.meta as { sizeBytes: number }).sizeBytes, code.length);
  }),
);

test(
  'rejects a missing workflowsPath and malformed options with ERR_INVALID_OPTION',
  timed(10_000, async () => {
    const missing = await rejection(bundle({ workflowsPath: path.join(tmp, 'nope.js') }), BastionError);
    assert.ok(missing instanceof ConfigError);
    assert.is(missing.code, 'ERR_INVALID_OPTION');
    assert.match(missing.message, /`workflowsPath` names .*nope\.js, which does not exist/);
    const notArray = await rejection(bundle({ workflowsPath: fixture('workflows.js'), ignoreModules: 'fs' as unknown as string[] }), BastionError);
    assert.match(notArray.message, /`ignoreModules` must be an array/);
    const badHook = await rejection(
      bundle({ workflowsPath: fixture('workflows.js'), webpackConfigHook: (c) => ({ ...c, mode: 'sideways' as never }) }),
      BastionError,
    );
    assert.is(badHook.code, 'ERR_INVALID_OPTION');
    assert.match(badHook.message, /`webpackConfigHook` returned a configuration webpack refuses/);
    const noPath = await rejection(bundleWorkflowCode({} as BundleOptions), BastionError);
    assert.match(noPath.message, /`workflowsPath` must be a path/);
  }),
);

test.run();
