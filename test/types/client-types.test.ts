/**
 * Type-level tests: the probe files under test/types/probes are compiled with the
 * project's compiler options; every `@ts-expect-error` line must be an error (else tsc
 * reports the directive as unused) and nothing else may be. So each mistake the official
 * client catches is proven caught, and each inferred result proven right.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import ts from 'typescript';

const test = suite('client types');
const ROOT = path.resolve(__dirname, '../../..');
const PROBES = path.join(ROOT, 'test', 'types', 'probes');

function compile(file: string): string[] {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, ROOT);
  const program = ts.createProgram([file], { ...config.options, noEmit: true, declaration: false });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? `${path.relative(ROOT, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

for (const name of fs.readdirSync(PROBES).filter((f) => f.endsWith('.ts'))) {
  test(`${name}: every marked mistake is a type error, everything else compiles`, () => {
    const source = fs.readFileSync(path.join(PROBES, name), 'utf8');
    assert.ok((source.match(/@ts-expect-error/g) ?? []).length >= 5, 'the probe marks its mistakes');
    assert.equal(compile(path.join(PROBES, name)), []);
  });
}

test('the probe fails when a marked line is not an error (the check can fail)', () => {
  const dir = fs.mkdtempSync(path.join(PROBES, '..', 'tmp-'));
  try {
    const file = path.join(dir, 'unused.ts');
    fs.writeFileSync(file, '// @ts-expect-error nothing wrong here\nexport const x: number = 1;\n');
    const diagnostics = compile(file);
    assert.ok(
      diagnostics.some((d) => /Unused '@ts-expect-error' directive/.test(d)),
      diagnostics.join('\n'),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
