/** Typed errors: codes, areas, cross-realm instanceof, and the generated docs page. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { BastionError, ConfigError, ConnectionError, ERROR_CODES } from '../../src/common/errors';

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

test('instanceof works for an error object that crossed a vm realm', () => {
  // An Error made by another realm's constructor, carrying the markers, still matches.
  const foreign = vm.runInContext(`(() => { const o = new Error('x'); o[Symbol.for('bastion.error')] = true; o[Symbol.for('bastion.error.area')] = 'config'; return o; })()`, vm.createContext({}));
  assert.ok(foreign instanceof BastionError);
  assert.ok(foreign instanceof ConfigError);
  assert.not.ok(foreign instanceof ConnectionError);
});

test('docs/errors.md is generated from the current table', () => {
  const { render } = require('../../../scripts/gen-error-docs.js');
  const onDisk = fs.readFileSync(path.resolve(__dirname, '../../../docs/errors.md'), 'utf8');
  assert.is(onDisk, render(), 'run `node scripts/gen-error-docs.js`');
  for (const code of Object.keys(ERROR_CODES)) assert.ok(onDisk.includes(code));
});

test.run();
