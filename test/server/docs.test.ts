/** docs/dev-server.md stays true to the server: every unimplemented method is listed. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serviceMethods, WORKFLOW_SERVICE_NAME } from '../../src/common/proto';
import { IMPLEMENTED_METHODS } from '../../src/server/service';

const doc = fs.readFileSync(path.resolve(__dirname, '../../../docs/dev-server.md'), 'utf8');
const notImplementedSection = doc.slice(doc.indexOf('## Not implemented'));

test('docs/dev-server.md lists every method that answers UNIMPLEMENTED', () => {
  const missing = serviceMethods(WORKFLOW_SERVICE_NAME)
    .map((m) => m.name)
    .filter((n) => !IMPLEMENTED_METHODS.includes(n))
    .filter((n) => !new RegExp(`\\b${n}\\b`).test(notImplementedSection));
  assert.equal(missing, [], `add to docs/dev-server.md: ${missing.join(', ')}`);
});

test('docs/dev-server.md does not list an implemented method as missing', () => {
  const wrong = IMPLEMENTED_METHODS.filter((n) => new RegExp(`\\b${n}\\b`).test(notImplementedSection.replace(/GetWorkflowExecutionHistoryReverse/g, '')));
  assert.equal(wrong, []);
});

test.run();
