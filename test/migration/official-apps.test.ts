/**
 * The migration guide, tested: apps written as the official samples are (hello world, and
 * hello world over mTLS) move to Bastion by rewriting their imports only. Each is
 * type-checked against Bastion's published `.d.ts` (through the package's own `exports`,
 * as an app that installed it would see them), then its worker and client run as separate
 * processes against the dev server.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { DevServer } from '../../src/testing';
import { makeTestPki, removeTestPki, type TestPki } from '../helpers/certs';
import { spawnNode } from '../helpers/processes';
import { timed } from '../helpers/wait';

const test = suite('moving official-SDK apps by changing imports');
const ROOT = path.resolve(__dirname, '../../..');
const APPS = path.join(ROOT, 'test', 'fixtures', 'official-apps');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).name as string;

/** The import rewrites docs/migrating-from-temporalio.md lists, and nothing else. */
export const IMPORT_MAP: Readonly<Record<string, string>> = {
  '@temporalio/client': `${PKG}/client`,
  '@temporalio/worker': `${PKG}/worker`,
  '@temporalio/workflow': `${PKG}/workflow`,
  '@temporalio/activity': `${PKG}/activity`,
  '@temporalio/common': PKG,
};

function rewriteImports(source: string): string {
  return source.replace(/(from\s+|require\()(['"])(@temporalio\/[a-z-]+)\2/g, (all, lead: string, q: string, spec: string) => {
    const to = IMPORT_MAP[spec];
    if (!to) throw new Error(`no Bastion subpath for ${spec}`);
    return `${lead}${q}${to}${q}`;
  });
}

/** Copies an app with its imports rewritten into a folder inside the package (so `<pkg>/…` resolves to this build). */
function port(app: string): string {
  const dir = fs.mkdtempSync(path.join(ROOT, 'dist', `tmp-app-${app}-`));
  for (const f of fs.readdirSync(path.join(APPS, app)).filter((n) => n.endsWith('.ts.txt'))) {
    const source = fs.readFileSync(path.join(APPS, app, f), 'utf8');
    assert.ok(/@temporalio\//.test(source) || !/from '(bastion)/.test(source), 'the fixture is written against the official packages');
    fs.writeFileSync(path.join(dir, f.replace(/\.txt$/, '')), rewriteImports(source));
  }
  return dir;
}

/** Type-checks the ported app as a CommonJS TypeScript app would (node16 resolution reads `exports`), then emits it. */
function compile(dir: string): string[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    types: ['node'],
    outDir: dir,
    rootDir: dir,
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  };
  const program = ts.createProgram(files, options);
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file ? path.basename(d.file.fileName) : ''} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  if (diagnostics.length === 0) program.emit();
  return diagnostics;
}

let pki: TestPki;
const dirs: string[] = [];
test.before(async () => {
  pki = await makeTestPki();
});
test.after(() => {
  removeTestPki(pki);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function runApp(dir: string, env: Record<string, string>): Promise<string> {
  const worker = spawnNode([path.join(dir, 'worker.js')], env);
  try {
    await worker.waitFor(/worker running/, 120_000);
    const client = spawnNode([path.join(dir, 'client.js')], env);
    const { code } = await client.exited;
    assert.is(code, 0, client.output());
    return client.output();
  } finally {
    worker.kill('SIGINT');
    const { code } = await worker.exited;
    assert.is(code, 0, `the worker shuts down cleanly on SIGINT: ${worker.output()}`);
  }
}

test("the README's worker snippet compiles when pasted into a CommonJS TypeScript app", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## A worker and a client'));
  const snippet = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(snippet, 'the README has the snippet');
  const dir = fs.mkdtempSync(path.join(ROOT, 'dist', 'tmp-app-readme-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'main.ts'), snippet!);
  fs.writeFileSync(path.join(dir, 'activities.ts'), 'export async function greet(name: string): Promise<string> {\n  return `Hello, ${name}!`;\n}\n');
  fs.writeFileSync(
    path.join(dir, 'workflows.ts'),
    `import { proxyActivities } from '${PKG}/workflow';\nimport type * as activities from './activities';\nconst { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });\nexport async function greeting(name: string): Promise<string> {\n  return greet(name);\n}\n`,
  );
  assert.equal(compile(dir), []);
});

test('the rewrite touches only the @temporalio imports', () => {
  assert.is(
    rewriteImports("import { Worker } from '@temporalio/worker';\nconst x = '@temporalio/worker';"),
    `import { Worker } from '${PKG}/worker';\nconst x = '@temporalio/worker';`,
  );
  assert.throws(() => rewriteImports("import x from '@temporalio/nexus';"), /no Bastion subpath/);
});

test(
  'hello world: the official sample, imports rewritten, type-checks and runs',
  timed(240_000, async () => {
    const dir = port('hello-world');
    dirs.push(dir);
    assert.equal(compile(dir), []);
    const server = await DevServer.start({ logLevel: 'off' });
    try {
      const out = await runApp(dir, { TEMPORAL_ADDRESS: server.address });
      assert.match(out, /result: Hello, Temporal!/);
    } finally {
      await server.close();
    }
  }),
);

test(
  'hello world over mTLS: the official sample, imports rewritten, type-checks and runs',
  timed(240_000, async () => {
    const dir = port('hello-mtls');
    dirs.push(dir);
    assert.equal(compile(dir), []);
    const server = await DevServer.start({ logLevel: 'off', tls: { cert: pki.server.cert, key: pki.server.key, clientCa: pki.ca.cert } });
    try {
      const out = await runApp(dir, {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_SERVER_ROOT_CA_CERT_PATH: pki.ca.certPath,
        TEMPORAL_CLIENT_CERT_PATH: pki.client.certPath,
        TEMPORAL_CLIENT_KEY_PATH: pki.client.keyPath,
        TEMPORAL_SERVER_NAME_OVERRIDE: 'localhost',
      });
      assert.match(out, /result: Hello, mTLS!/);
    } finally {
      await server.close();
    }
  }),
);

test.run();
