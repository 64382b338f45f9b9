/** `npm start` runs the encrypted end-to-end demo: mTLS, an EncryptionCodec, and a server history with no plaintext. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';

test('the demo runs an encrypted workflow over mTLS, and the server holds only ciphertext', timed(60_000, async () => {
  const demo = spawnNode([path.resolve(__dirname, '../../examples/demo/main.js')]);
  const { code } = await demo.exited;
  const out = demo.output();
  assert.is(code, 0, out);
  assert.match(out, /dev server listening on 127\.0\.0\.1:\d+ \(mTLS/);
  assert.match(out, /started workflow demo-\d+ with input: "Bastion"/);
  assert.match(out, /result \(decoded by the client\): Hello, Bastion! \(workflow demo-\d+, attempt 1\)/);
  const stored = out.split('\n').filter((l) => /encoding=/.test(l));
  assert.ok(stored.length >= 4, out);
  for (const line of stored) {
    assert.match(line, /encoding=binary\/encrypted ciphertext=[0-9a-f]{24}…/);
    assert.not.match(line, /Bastion|Hello/);
  }
  assert.match(out, /no plaintext in the server's history/);
  assert.not.match(out, /PLAINTEXT FOUND/);
  // The key is made at start-up and never printed.
  assert.not.match(out, /PRIVATE KEY|keys: \{/);
  assert.match(out, /worker STOPPED/);
}));

test.run();
