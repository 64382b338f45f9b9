/**
 * A reader copies the code blocks of README.md, docs/*.md and the `@example`s of the
 * sources (what an editor shows on hover): every import of Bastion in them names a subpath the package exports, and every name imported from it is exported
 * there (values and types, read from the built declarations by the TypeScript checker).
 * A renamed export or a wrong subpath (`bastion/workflow` for `bastion-temporal/workflow`)
 * fails here with the page and line.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';

const test = suite('docs code blocks import what the package exports');
const ROOT = path.resolve(__dirname, '../../..');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string> };

interface Import {
  where: string;
  spec: string;
  names: string[];
}

const FENCE = /^```(ts|typescript|js|javascript|mjs|cjs)\s*$/;
const IMPORT = /import\s+(?:type\s+)?([\w$]+\s*,\s*)?(\{[^}]*\}|\*\s+as\s+[\w$]+|[\w$]+)?\s*from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g;

function pages(): string[] {
  const docs = fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join('docs', f));
  const sources = ['src', 'certs', 'codecs', 'native'].flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(dir, f)),
  );
  return ['README.md', ...docs, ...sources];
}

/** A line as a reader sees it: in a source file, without the comment's leading `*`. */
function readable(page: string, line: string): string {
  return page.endsWith('.ts') ? line.replace(/^\s*\*\s?/, '') : line;
}

/** The imports of every fenced code block, with the page and line they are on. */
function importsIn(page: string): Import[] {
  const lines = fs
    .readFileSync(path.join(ROOT, page), 'utf8')
    .split('\n')
    .map((line) => readable(page, line));
  const found: Import[] = [];
  let start = -1;
  let block: string[] = [];
  lines.forEach((line, i) => {
    if (start < 0) {
      if (FENCE.test(line.trim())) [start, block] = [i + 1, []];
      return;
    }
    if (line.trim().startsWith('```')) {
      const text = block.join('\n');
      for (const m of text.matchAll(IMPORT)) {
        const line = start + 1 + text.slice(0, m.index).split('\n').length - 1;
        const braces = m[2]?.startsWith('{') ? m[2] : '';
        const names = braces
          .slice(1, -1)
          .split(',')
          .map((n) => n.trim().replace(/^type\s+/, ''))
          .filter(Boolean)
          .map((n) => n.split(/\s+as\s+/)[0]!.trim());
        found.push({ where: `${page}:${line}`, spec: m[3] ?? m[4]!, names });
      }
      start = -1;
      return;
    }
    block.push(line);
  });
  return found;
}

/** The names each exported subpath offers, read from its declaration file. */
function exportedNames(): Map<string, Set<string>> {
  const entries = Object.entries(PKG.exports).filter(([, target]) => target.endsWith('.js'));
  const files = entries.map(([, target]) => path.join(ROOT, target.replace(/\.js$/, '.d.ts')));
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const out = new Map<string, Set<string>>();
  entries.forEach(([sub, target], i) => {
    const source = program.getSourceFile(files[i]!);
    assert.ok(source, `${target}: no declaration file ${files[i]}; build first (npx tsc -p tsconfig.json)`);
    const symbol = checker.getSymbolAtLocation(source);
    const names = symbol ? checker.getExportsOfModule(symbol).map((s) => s.getName()) : [];
    out.set(sub === '.' ? PKG.name : `${PKG.name}/${sub.slice(2)}`, new Set(names));
  });
  return out;
}

test('every Bastion import in the docs resolves to an exported subpath and exported names', () => {
  const exported = exportedNames();
  const imports = pages().flatMap(importsIn);
  const ours = imports.filter((i) => i.spec === 'bastion' || i.spec.startsWith('bastion/') || i.spec === PKG.name || i.spec.startsWith(`${PKG.name}/`));
  assert.ok(ours.length >= 20, `expected the docs to show Bastion imports, found ${ours.length}`);
  const problems: string[] = [];
  for (const imp of ours) {
    const names = exported.get(imp.spec);
    if (!names) {
      problems.push(`${imp.where}: '${imp.spec}' is not a subpath of ${PKG.name} (exports: ${[...exported.keys()].join(', ')})`);
      continue;
    }
    for (const name of imp.names) if (!names.has(name)) problems.push(`${imp.where}: '${imp.spec}' exports no \`${name}\``);
  }
  assert.equal(problems, []);
});

test.run();
