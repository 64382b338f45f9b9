/**
 * `Worker.create` bundles in a thread that exits afterwards: the code is the same as
 * `bundleWorkflowCode` makes, errors keep their classes and codes, and webpack's memory
 * does not stay in the worker's process.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BundleError, ConfigError } from '../../src/common/errors';
import { bundleWorkflowCode } from '../../src/worker';
import { bundleWorkflowCodeInThread } from '../../src/worker/bundle-in-thread';
import { timed } from '../helpers/wait';

const test = suite('worker: bundling in a thread');
const fixture = (name: string) => path.resolve(__dirname, '../fixtures/sandbox', name);
const WORKFLOWS = path.resolve(__dirname, '../fixtures/workflows.js');

test(
  'makes the same bundle as bundleWorkflowCode',
  timed(60_000, async () => {
    const [inThread, inProcess] = [await bundleWorkflowCodeInThread({ workflowsPath: WORKFLOWS }), await bundleWorkflowCode({ workflowsPath: WORKFLOWS })];
    assert.is(inThread.code, inProcess.code);
  }),
);

test(
  'errors keep their class and code: a disallowed import, a syntax error, a bad option',
  timed(60_000, async () => {
    const disallowed = await bundleWorkflowCodeInThread({ workflowsPath: fixture('imports-fs.js') }).catch((e) => e);
    assert.ok(disallowed instanceof BundleError);
    assert.is(disallowed.code, 'ERR_BUNDLE_DISALLOWED_MODULE');
    assert.match(disallowed.message, /'fs': imports-fs\.js/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-bundle-thread-'));
    const broken = path.join(dir, 'broken.js');
    fs.writeFileSync(broken, 'export function broken( {\n');
    const syntax = await bundleWorkflowCodeInThread({ workflowsPath: broken }).catch((e) => e);
    assert.ok(syntax instanceof BundleError);
    assert.is(syntax.code, 'ERR_BUNDLE_FAILED');
    assert.match(syntax.message, /broken\.js/);
    fs.rmSync(dir, { recursive: true, force: true });
    const option = await bundleWorkflowCodeInThread({ workflowsPath: WORKFLOWS, ignoreModules: 'fs' as never }).catch((e) => e);
    assert.ok(option instanceof ConfigError, String(option));
    assert.is(option.code, 'ERR_INVALID_OPTION');
  }),
);

test.run();
