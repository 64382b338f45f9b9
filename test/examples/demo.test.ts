/** `npm start` runs the end-to-end demo and prints the workflow's result. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';

test('the demo runs a workflow with an activity end to end and exits cleanly', timed(60_000, async () => {
  const demo = spawnNode([path.resolve(__dirname, '../../examples/demo/main.js')]);
  const { code } = await demo.exited;
  const out = demo.output();
  assert.is(code, 0, out);
  assert.match(out, /dev server listening on 127\.0\.0\.1:\d+/);
  assert.match(out, /result: Hello, Bastion! \(workflow demo-\d+, attempt 1\)/);
  assert.match(out, /worker STOPPED/);
}));

test.run();
