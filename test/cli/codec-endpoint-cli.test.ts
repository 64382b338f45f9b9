/**
 * `--codec-endpoint` and `--codec-auth`: the real binary encodes `--input` and decodes
 * results and histories through a real codec server holding the encryption codec, while a
 * Bastion worker with the same codec runs the workflow on an in-process dev server.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createCodecServer, type CodecServer } from '../../codecs/codec-server';
import { runCli } from '../helpers/cli-capture';
import { CLEAN_ENV, parseJson as json, startCliEnv, type CliEnv } from '../helpers/cli-env';
import { BIN, freePort, runNode } from '../helpers/processes';
import { encryptionCodec, newCodecKey } from '../helpers/test-codec';
import { timed } from '../helpers/wait';

const test = suite('bastion --codec-endpoint');

const TOKEN = 'cli-test-token-4f1d';
let cli: CliEnv;
let codecServer: CodecServer;
let codecUrl: string;
const bastion = (args: string[]) => cli.bastion(args);

test.before(async () => {
  const key = newCodecKey();
  // The codec server is told no workflow id (neither is the Temporal CLI's): no context binding.
  cli = await startCliEnv({ 'cli-enc': { dataConverter: { payloadCodecs: [await encryptionCodec(key, false)] } } });
  codecServer = createCodecServer({ codec: await encryptionCodec(key, false), auth: { tokens: [TOKEN] } });
  codecUrl = (await codecServer.listen(0)).url;
});

test.after(async () => {
  await codecServer.close();
  await cli.close();
});

test(
  '--codec-endpoint encodes the input and decodes the result through a codec server with the encryption codec',
  timed(150_000, async () => {
    const codecFlags = ['--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${TOKEN}`];
    const r = await bastion(['workflow', 'execute', '--type', 'greet', '-t', 'cli-enc', '-w', 'enc-1', '-i', '"Secret Agent"', '-o', 'json', ...codecFlags]);
    assert.is(r.code, 0, r.stderr);
    assert.is(json(r.stdout).result, 'Hello, Secret Agent!');
    // Without the codec the result is still ciphertext.
    const raw = await bastion(['workflow', 'result', '-w', 'enc-1', '-o', 'json']);
    assert.equal(json(raw.stdout).result.encoding, 'binary/encrypted');
    assert.not.match(raw.stdout, /Secret Agent/);
    // The history, decoded through the codec server.
    const show = await bastion(['workflow', 'show', '-w', 'enc-1', '-o', 'json', ...codecFlags]);
    assert.is(show.code, 0, show.stderr);
    const events = json(show.stdout).events as Array<Record<string, any>>;
    const started = events[0]!.workflowExecutionStartedEventAttributes;
    const payload = started.input.payloads[0];
    assert.is(Buffer.from(payload.metadata.encoding, 'base64').toString(), 'json/plain');
    assert.is(Buffer.from(payload.data, 'base64').toString(), '"Secret Agent"');
    // payload decode takes a codec endpoint instead of --keys.
    const rawShow = await bastion(['workflow', 'show', '-w', 'enc-1', '-o', 'json']);
    const historyFile = path.join(os.tmpdir(), `bastion-codec-cli-${process.pid}.json`);
    fs.writeFileSync(historyFile, rawShow.stdout);
    try {
      const decoded = await runNode(
        [BIN, 'payload', 'decode', '--codec-endpoint', codecUrl, '--codec-auth', `Bearer ${TOKEN}`, '--input', historyFile, '--with-values'],
        CLEAN_ENV,
      );
      assert.is(decoded.code, 0, decoded.stderr);
      assert.is(json(decoded.stdout).events[0].workflowExecutionStartedEventAttributes.input.payloads[0].decoded, 'Secret Agent');
    } finally {
      fs.rmSync(historyFile, { force: true });
    }
    const plainShow = await bastion(['workflow', 'show', '-w', 'enc-1']);
    assert.match(plainShow.stdout, /input=<binary\/encrypted, \d+ bytes>/);
    const decodedText = await bastion(['workflow', 'show', '-w', 'enc-1', ...codecFlags]);
    assert.match(decodedText.stdout, /input="Secret Agent"/);
    assert.match(decodedText.stdout, /result="Hello, Secret Agent!"/);
  }),
);

test(
  'a codec server that refuses the token is named, with the flag to fix it, and no payload',
  timed(150_000, async () => {
    const wrong = await bastion(['workflow', 'result', '-w', 'enc-1', '--codec-endpoint', codecUrl, '--codec-auth', 'Bearer wrong-token']);
    assert.is(wrong.code, 1);
    assert.match(
      wrong.stderr,
      new RegExp(
        `The codec server at ${codecUrl.replace(/[.]/g, '\\.')}/decode answered HTTP 401: .*--codec-auth "Bearer TOKEN"\` \\(the one given was refused\\)`,
      ),
    );
    assert.not.match(wrong.stderr, /wrong-token|Secret/);
    const none = await bastion(['workflow', 'result', '-w', 'enc-1', '--codec-endpoint', codecUrl]);
    assert.is(none.code, 1);
    assert.match(none.stderr, /HTTP 401.*Pass the codec server's token with `--codec-auth/);
    const closedPort = await freePort();
    const down = await bastion(['workflow', 'result', '-w', 'enc-1', '--codec-endpoint', `http://127.0.0.1:${closedPort}`]);
    assert.is(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(`The codec server at \`--codec-endpoint\` http://127\\.0\\.0\\.1:${closedPort} could not be reached to decode \\(ECONNREFUSED\\)`),
    );
    const badUrl = await runCli(['workflow', 'count', '--codec-endpoint', 'localhost:8888']);
    assert.is(badUrl.code, 2);
    assert.match(badUrl.stderr, /`--codec-endpoint` must be an http:\/\/ or https:\/\/ URL/);
  }),
);

test.run();
