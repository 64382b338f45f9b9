#!/usr/bin/env node
/**
 * Checks the published type declarations for `any`: walks every .d.ts reachable from the
 * package's `exports` (through relative imports and re-exports) and reports each `any`
 * with its file, line and declaration. `any` leaks turn off type checking in users' code;
 * where the official SDK's own types need `any` (function-type constraints), the place is
 * listed in ALLOWED with the reason. Run by `npm run lint`; needs `npm run build` first.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');

const ROOT = path.resolve(__dirname, '..');

/** `file:declaration` -> why `any` is right there. */
const ALLOWED = new Map([
  [
    'dist/src/workflow/runtime/updates.d.ts:UpdateHandlerEntry',
    'an update handler or validator takes any arguments (`any[]`, as @temporalio/workflow types handlers), so every typed handler is assignable',
  ],
  [
    'dist/src/common/activation-protocol.d.ts:TaggedCommand',
    'a command is a proto message as a plain object whose shape depends on its commandType; the sandbox protocol passes it through untouched',
  ],
  [
    'dist/src/client/with-start.d.ts:startUpdateWithStart',
    'takes an update definition of any argument list (`UpdateDefinition<Ret, any[]>`), as @temporalio/client does',
  ],
  [
    'dist/src/common/definitions.d.ts:Workflow',
    'a workflow is any function returning a promise: `any[]` parameters, as @temporalio/workflow declares it, so every workflow is assignable',
  ],
  ['dist/src/common/definitions.d.ts:WithWorkflowArgs', 'tests whether the parameter list is non-empty, as @temporalio/client does'],
  [
    'dist/src/workflow/activities.d.ts:ActivityFn',
    'an activity is any async function: `any[]` parameters so every activity is assignable, as @temporalio/common declares ActivityFunction',
  ],
  [
    'dist/src/worker/worker-options.d.ts:WorkerOptions',
    '`activities` takes any functions, as the official WorkerOptions does (`any[]` parameters, so typed activities are assignable)',
  ],
  ['dist/src/worker/worker-options.d.ts:CompiledWorkerOptions', 'the compiled `activities` keeps the type users passed'],
  [
    'dist/src/workflow/sinks.d.ts:SinkFunction',
    'a sink function takes any arguments (`any[]`, as @temporalio/workflow declares it), so every typed sink interface is assignable',
  ],
  [
    'dist/src/worker/sinks.d.ts:InjectedSinkFunction',
    'the constraint on the sink function type it mirrors (`any[]` parameters, as @temporalio/worker declares it)',
  ],
  [
    'dist/src/observability/tracing/workflow-exporter.d.ts:SpanExporterLike',
    "a structural stand-in for @opentelemetry/sdk-trace-base's SpanExporter (that package stays optional); `any[]` keeps every version's ReadableSpan assignable",
  ],
  [
    'dist/src/observability/tracing/workflow-exporter.d.ts:SpanProcessorLike',
    "a structural stand-in for @opentelemetry/sdk-trace-base's SpanProcessor (that package stays optional); `any` keeps every version's span types assignable",
  ],
]);

function entryFiles() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return Object.values(pkg.exports)
    .filter((target) => typeof target === 'string' && target.endsWith('.js'))
    .map((target) => path.join(ROOT, target.replace(/\.js$/, '.d.ts')));
}

function resolveRelative(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.d.ts`, path.join(base, 'index.d.ts')]) if (fs.existsSync(candidate)) return candidate;
  return undefined;
}

function declarationName(node) {
  for (let n = node; n; n = n.parent) {
    if (
      (ts.isTypeAliasDeclaration(n) ||
        ts.isInterfaceDeclaration(n) ||
        ts.isClassDeclaration(n) ||
        ts.isFunctionDeclaration(n) ||
        ts.isVariableDeclaration(n)) &&
      n.name
    )
      return n.name.getText();
  }
  return '?';
}

function main() {
  const seen = new Set();
  const queue = entryFiles();
  const leaks = [];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const rel = path.relative(ROOT, file);
    const visit = (node) => {
      if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const spec = node.moduleSpecifier.text;
        if (spec.startsWith('.')) {
          const target = resolveRelative(file, spec);
          if (target) queue.push(target);
        }
      }
      if (
        ts.isImportTypeNode(node) &&
        ts.isLiteralTypeNode(node.argument) &&
        ts.isStringLiteral(node.argument.literal) &&
        node.argument.literal.text.startsWith('.')
      ) {
        const target = resolveRelative(file, node.argument.literal.text);
        if (target) queue.push(target);
      }
      if (node.kind === ts.SyntaxKind.AnyKeyword) {
        const name = declarationName(node);
        if (!ALLOWED.has(`${rel}:${name}`)) {
          const { line } = source.getLineAndCharacterOfPosition(node.getStart());
          leaks.push(`${rel}:${line + 1} \`any\` in ${name}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  if (leaks.length > 0) {
    console.error(`check-public-types: ${leaks.length} \`any\` in the published types (${seen.size} declaration files checked):`);
    for (const l of leaks) console.error(`  ${l}`);
    console.error('Give each a real type (or `unknown`), or list it in ALLOWED in scripts/check-public-types.js with the reason.');
    process.exitCode = 1;
  } else {
    console.log(`check-public-types: no \`any\` in the published types (${seen.size} declaration files checked)`);
  }
}

main();
