/** `bastion server start-dev` as a user runs it. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { InternalConnectionOptionsSymbol } from '@temporalio/client/lib/connection';
import { spawnDevServer, spawnNode, BIN } from '../helpers/processes';
import { timed } from '../helpers/wait';
import { runCli } from '../helpers/cli-capture';

const test = suite('bastion server start-dev');
const TEST_SERVER_BIN = path.resolve(BIN, '../bastion-test-server.js');

async function runToExit(args: string[]) {
  const p = spawnNode([BIN, ...args]);
  const { code } = await p.exited;
  return { code, output: p.output() };
}

test(
  'prints its listening line, serves, and exits cleanly on SIGTERM',
  timed(20_000, async () => {
    const server = await spawnDevServer(['--port', '0', '--namespace', 'extra']);
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    const conn = await Connection.connect({ address: server.address });
    const ns = await conn.workflowService.describeNamespace({ namespace: 'extra' });
    assert.is(ns.namespaceInfo?.name, 'extra');
    await conn.close();
    server.kill('SIGTERM');
    const { code } = await server.exited;
    assert.is(code, 0);
  }),
);

test(
  'exits cleanly on SIGINT',
  timed(20_000, async () => {
    const server = await spawnDevServer(['--port', '0']);
    server.kill('SIGINT');
    assert.is((await server.exited).code, 0);
  }),
);

test(
  'accepts the Temporal CLI flags of the official testing harness, reports the ignored ones once at debug, and serves the TestService with --time-skipping',
  timed(20_000, async () => {
    const server = await spawnDevServer([
      ...['--port', '0', '--namespace', 'default', '--ip', '127.0.0.1', '--log-format', 'pretty', '--log-level', 'debug'],
      ...['--dynamic-config-value', 'frontend.enableServerVersionCheck=false', '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true'],
      ...['--headless', '--search-attribute', 'CustomKeyword=Keyword', '--time-skipping'],
    ]);
    const conn = await Connection.connect({ address: server.address, [InternalConnectionOptionsSymbol]: { supportsTestService: true } } as never);
    const { time } = await conn.testService!.getCurrentTime({});
    assert.ok(Number(time?.seconds) > 0);
    await conn.testService!.unlockTimeSkipping({});
    await conn.close();
    server.kill('SIGTERM');
    assert.is((await server.exited).code, 0);
    const reports = server
      .output()
      .split('\n')
      .filter((l) => l.includes('ignored'));
    assert.is(reports.length, 1, server.output());
    for (const flag of ['--dynamic-config-value', '--headless', '--search-attribute', '--log-format']) assert.ok(reports[0]!.includes(flag), reports[0]);
  }),
);

test(
  'bastion-test-server takes the port first and refuses anything else there',
  timed(20_000, async () => {
    const p = spawnNode([TEST_SERVER_BIN, 'seventy']);
    const { code } = await p.exited;
    assert.is(code, 2);
    assert.match(p.output(), /takes the port first, a number from 0 to 65535 \(got "seventy"\)/);
  }),
);

test(
  'rejects a bad port, naming the flag',
  timed(20_000, async () => {
    const r = await runToExit(['server', 'start-dev', '--port', 'seventy']);
    assert.is(r.code, 2);
    assert.match(r.output, /`--port` must be a number from 0 to 65535, got "seventy"/);
  }),
);

test(
  'rejects an unknown flag and lists the known ones',
  timed(20_000, async () => {
    const r = await runToExit(['server', 'start-dev', '--prot', '1']);
    assert.is(r.code, 2);
    assert.match(r.output, /Unknown flag `--prot`/);
    assert.match(r.output, /--port/);
  }),
);

test(
  'requires --tls-key with --tls-cert, and a readable certificate file',
  timed(20_000, async () => {
    const a = await runToExit(['server', 'start-dev', '--port', '0', '--tls-cert', 'cert.pem']);
    assert.is(a.code, 2);
    assert.match(a.output, /`--tls-cert` and `--tls-key` go together/);
    const b = await runToExit(['server', 'start-dev', '--port', '0', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem']);
    assert.is(b.code, 1);
    assert.match(b.output, /`--tls-cert` could not be read from file \/nonexistent\/cert\.pem: ENOENT/);
  }),
);

test(
  'a port already in use is a clear error',
  timed(20_000, async () => {
    const first = await spawnDevServer(['--port', '0']);
    const port = first.address.split(':')[1]!;
    const r = await runToExit(['server', 'start-dev', '--port', port]);
    first.kill('SIGTERM');
    await first.exited;
    assert.is(r.code, 1);
    // One line: what, why (EADDRINUSE) and the fix; no stack, no grpc-js log line.
    const lines = r.output.trim().split('\n');
    assert.is(lines.length, 1, r.output);
    assert.match(
      lines[0]!,
      new RegExp(
        `^bastion: The dev server could not listen on 127\\.0\\.0\\.1:${port}: the address is already in use \\(EADDRINUSE\\).*Pick another \`--port\``,
      ),
    );
  }),
);

test(
  'an unknown command is one line pointing at --help, exit 2',
  timed(60_000, async () => {
    const r = await runToExit(['frobnicate']);
    assert.is(r.code, 2);
    assert.is(r.output, 'bastion: unknown command "frobnicate". Run `bastion --help`.\n');
    // The other levels in-process (fewer processes on a loaded machine).
    const sub = await runCli(['workflow', 'frobnicate', '-w', 'x']);
    assert.is(sub.code, 2);
    assert.is(sub.stdout, '');
    assert.is(sub.stderr.trim().split('\n').length, 1, sub.stderr);
    assert.match(sub.stderr, /^bastion: unknown command "workflow frobnicate"\. Commands: workflow start, .*workflow stack.*\. Run `bastion --help`\.$/m);
    const nested = await runCli(['operator', 'namespace', 'frobnicate']);
    assert.is(nested.code, 2);
    assert.match(
      nested.stderr,
      /^bastion: unknown command "operator namespace frobnicate"\. Commands: operator namespace list, operator namespace describe, operator namespace create\./,
    );
  }),
);

test(
  '--version prints the package version',
  timed(60_000, async () => {
    const r = await runToExit(['--version']);
    assert.is(r.code, 0);
    assert.is(r.output, `bastion version ${(require('../../../package.json') as { version: string }).version}\n`);
  }),
);

test.run();
