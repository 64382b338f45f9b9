/**
 * Reading a built workflow bundle: which payload converter module it was built with (from
 * the entry module in its inline source map), and whether that matches the worker's.
 * Part of the bundler: it knows the entry module the bundler writes.
 */
import { ConfigError } from '../common/errors';

const INLINE_SOURCE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;charset=utf-8;base64,([A-Za-z0-9+/=]+)\s*$/;
// The entry's line for the converter: `require` in current bundles, `import` in older ones.
const BUNDLED_CONVERTER_IMPORT = /^\s*(?:import \* as payloadConverterModule from |const payloadConverterModule = require\()("(?:[^"\\]|\\.)*")\)?;$/m;

/**
 * The payload converter module a bundle from `bundleWorkflowCode` was built with, read from
 * the entry module in its inline source map: `{ file, source }` when built with
 * `payloadConverterPath`, `null` when built without, `undefined` when the bundle carries no
 * source map to tell (e.g. a `webpackConfigHook` turned it off).
 */
export function bundledPayloadConverter(code: string): { file: string; source?: string } | null | undefined {
  const match = INLINE_SOURCE_MAP.exec(code);
  if (!match) return undefined;
  let map: { sources?: string[]; sourcesContent?: Array<string | null> };
  try {
    map = JSON.parse(Buffer.from(match[1]!, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  const sources = map.sources ?? [];
  const entry = sources.findIndex((s) => s.endsWith('bastion-workflow-entry'));
  const entrySource = entry >= 0 ? map.sourcesContent?.[entry] : undefined;
  if (typeof entrySource !== 'string') return undefined;
  const imported = BUNDLED_CONVERTER_IMPORT.exec(entrySource);
  if (!imported) return null;
  const file = JSON.parse(imported[1]!) as string;
  const at = sources.indexOf(file);
  const source = at >= 0 ? map.sourcesContent?.[at] : undefined;
  return typeof source === 'string' ? { file, source } : { file };
}

/** Module text without line-ending differences or its own source-map comment. */
function comparable(source: string): string {
  return source
    .replace(/\r\n/g, '\n')
    .replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '')
    .trimEnd();
}

/**
 * Checks that a prebuilt workflow bundle converts payloads as the worker does: built with a
 * payload converter exactly when the worker has `dataConverter.payloadConverterPath`, and
 * holding the same module text (the bundle may have been built at another path, as in a
 * CI build deployed elsewhere). A bundle without a source map cannot be checked.
 * @throws {ConfigError} `ERR_CONFLICTING_OPTIONS` naming both sides and how to rebuild
 */
export function checkBundlePayloadConverter(code: string, payloadConverterPath: string | undefined, readFile: (file: string) => string): void {
  const bundled = bundledPayloadConverter(code);
  if (bundled === undefined) return;
  const rebuild = payloadConverterPath
    ? `Rebuild it with \`bundleWorkflowCode({ workflowsPath, payloadConverterPath: ${JSON.stringify(payloadConverterPath)} })\``
    : 'Rebuild it without `payloadConverterPath`';
  if (bundled === null && payloadConverterPath !== undefined) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`workflowBundle\` was built without a payload converter, but \`dataConverter.payloadConverterPath\` is ${payloadConverterPath}: workflow code would read and write payloads with the default converter. ${rebuild}, or pass \`workflowsPath\` and let the worker bundle.`,
    );
  }
  if (bundled !== null && payloadConverterPath === undefined) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`workflowBundle\` was built with \`payloadConverterPath\` ${bundled.file}, but the worker has no \`dataConverter.payloadConverterPath\`: activities would convert payloads differently from workflow code. Pass \`dataConverter: { payloadConverterPath }\` naming that module, or ${rebuild.charAt(0).toLowerCase()}${rebuild.slice(1)}.`,
    );
  }
  if (bundled !== null && payloadConverterPath !== undefined && bundled.source !== undefined) {
    let current: string | undefined;
    try {
      current = readFile(payloadConverterPath);
    } catch {
      return; // loadDataConverter already required it; an unreadable file leaves nothing to compare
    }
    if (comparable(current) !== comparable(bundled.source)) {
      throw new ConfigError(
        'ERR_CONFLICTING_OPTIONS',
        `\`workflowBundle\` holds a different payload converter module (built from ${bundled.file}) than \`dataConverter.payloadConverterPath\` (${payloadConverterPath}): the bundle is stale or was built with another converter. ${rebuild}.`,
      );
    }
  }
}
