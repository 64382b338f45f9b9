/**
 * The package as users install it: `npm pack`, then the tarball installed into an empty app
 * with `--omit=optional` (no better-sqlite3, so no native compile), where a worker and a
 * client run a workflow on the in-memory dev server, the `bastion` command answers, and
 * `--db-filename` fails with the coded error that names what to install, as does
 * `bastion-temporal/native` without its optional peer `@temporalio/worker`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { timed } from '../helpers/wait';
import { loadSqliteDriver } from '../../src/server/store/sqlite-driver';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  private?: boolean;
  files?: string[];
  optionalDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
};

const test = suite('package: pack, install, run');
let tmp: string;
let tarball: string;
let files: string[];
test.before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bastion-pack-'));
  // --ignore-scripts: dist/ is already built; `prepare` would only rebuild it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(tmp, path.basename(info!.filename));
  files = info!.files.map((f) => f.path);
});
test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('the package is publishable and holds the library, not its tests, benchmarks or sources', () => {
  assert.not.ok(pkg.private, '`private` is dropped');
  assert.ok(files.includes('dist/src/index.js'));
  assert.ok(files.includes('dist/src/index.d.ts'));
  assert.ok(files.includes('bin/bastion.js'));
  assert.ok(files.includes('README.md') && files.includes('LICENSE'));
  assert.ok(files.some((f) => f.startsWith('docs/')));
  for (const f of files) {
    assert.not.ok(/^dist\/(test|bench|examples)\//.test(f), `no tests, benchmarks or examples: ${f}`);
    assert.not.ok(/^(src|test|bench|certs|codecs)\/|\.ts$(?<!\.d\.ts$)/.test(f), `no TypeScript sources: ${f}`);
  }
  assert.ok(pkg.optionalDependencies?.['better-sqlite3'], 'better-sqlite3 is optional');
  assert.not.ok(pkg.dependencies?.['better-sqlite3'], 'and not a hard dependency');
});

test(
  'installed with --omit=optional into an empty app: no native addon, a workflow runs, the CLI answers, --db-filename names what to install',
  timed(240_000, async () => {
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await run('npm', ['install', tarball, '--omit=optional', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, maxBuffer: 64 * 1024 * 1024 });
    assert.not.ok(fs.existsSync(path.join(app, 'node_modules', 'better-sqlite3')), 'better-sqlite3 was not installed');
    fs.writeFileSync(
      path.join(app, 'workflows.js'),
      `
const { proxyActivities } = require('${pkg.name}/workflow');
const { shout } = proxyActivities({ startToCloseTimeout: '1 minute' });
exports.hello = async (name) => 'Hello, ' + (await shout(name)) + '!';
`,
    );
    fs.writeFileSync(
      path.join(app, 'main.js'),
      `
const { DevServer } = require('${pkg.name}/testing');
const { Worker } = require('${pkg.name}/worker');
const { Client, Connection } = require('${pkg.name}/client');
(async () => {
  const server = await DevServer.start({ port: 0, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} } });
  const connection = await Connection.connect({ address: server.address });
  const worker = await Worker.create({ connection, taskQueue: 'app', workflowsPath: require.resolve('./workflows'), activities: { shout: async (s) => s.toUpperCase() }, shutdownSignals: [] });
  const client = new Client({ connection });
  const result = await worker.runUntil(client.workflow.execute('hello', { taskQueue: 'app', workflowId: 'app-1', args: ['you'] }));
  console.log('RESULT ' + result);
  await connection.close();
  await server.close();
  try {
    await DevServer.start({ port: 0, dbFilename: 'dev.db' });
    console.log('DB OPENED');
  } catch (err) {
    console.log('DB ' + err.code + ' ' + err.message);
  }
  try {
    require('${pkg.name}/native');
    console.log('NATIVE LOADED');
  } catch (err) {
    console.log('NATIVE ' + err.code + ' ' + err.message);
  }
})().catch((err) => { console.error(err); process.exitCode = 1; });
`,
    );
    const { stdout } = await run(process.execPath, ['main.js'], { cwd: app });
    assert.match(stdout, /RESULT Hello, YOU!/);
    assert.match(stdout, /DB ERR_SERVER_SQLITE_MISSING .*better-sqlite3.*npm install better-sqlite3@12/);
    // The official worker is an optional peer, not installed here: the native subpath says what to install.
    assert.not.ok(fs.existsSync(path.join(app, 'node_modules', '@temporalio', 'worker')), '@temporalio/worker was not installed');
    assert.match(stdout, /NATIVE ERR_NATIVE_PEER_MISSING .*`@temporalio\/worker` \^1\.24\.0.*is not installed.*npm install @temporalio\/worker@\^1\.24\.0/);
    const cli = await run(process.execPath, [path.join(app, 'node_modules', '.bin', 'bastion'), '--help'], { cwd: app });
    assert.match(cli.stdout + cli.stderr, /server start-dev/);
  }),
);

test('without better-sqlite3 the driver loader throws a coded error naming the package and the fix', () => {
  const absent = () => {
    throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' });
  };
  try {
    loadSqliteDriver(absent);
    assert.unreachable('expected a throw');
  } catch (err) {
    const e = err as Error & { code: string };
    assert.is(e.code, 'ERR_SERVER_SQLITE_MISSING');
    assert.match(e.message, /is not installed.*npm install better-sqlite3@12.*without `--db-filename`/);
  }
});

test.run();
