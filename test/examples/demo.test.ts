/** `npm start` runs the encrypted end-to-end demo: mTLS, an EncryptionCodec, and a server history with no plaintext. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import * as net from 'node:net';
import { spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';

test(
  'the demo runs an encrypted workflow over mTLS, and the server holds only ciphertext',
  timed(60_000, async () => {
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
  }),
);

const DEMO = path.resolve(__dirname, '../../examples/demo/main.js');

test(
  'the demo takes its port from --port or PORT, and names a bad one',
  timed(30_000, async () => {
    const bad = spawnNode([DEMO], { PORT: 'seventy' });
    assert.is((await bad.exited).code, 2);
    assert.is(bad.output(), 'demo: PORT must be a number from 0 to 65535, got "seventy".\n');
    // A busy port: one line naming both ways to pick another, no stack.
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const busy = spawnNode([DEMO, '--port', String(port)]);
      assert.is((await busy.exited).code, 1);
      const lines = busy.output().trim().split('\n');
      assert.is(lines.length, 1, busy.output());
      assert.match(
        lines[0]!,
        new RegExp(
          `^demo: The dev server could not listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(EADDRINUSE\\).*\`--port\` \\(or PORT\\)`,
        ),
      );
      const busyEnv = spawnNode([DEMO], { PORT: String(port) });
      assert.is((await busyEnv.exited).code, 1);
      assert.match(busyEnv.output(), new RegExp(`could not listen on 127\\.0\\.0\\.1:${port}`));
    } finally {
      holder.close();
    }
  }),
);

test.run();
