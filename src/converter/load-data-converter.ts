/**
 * Loading a data converter on the host (worker, client, replay): validating the options and
 * `require`-ing the module at `payloadConverterPath`. Host-only: the workflow sandbox imports
 * the converter index, which does not reach this file, so Node built-ins are imported here
 * directly.
 */
import * as nodeModule from 'node:module';
import { ConfigError } from '../common/errors';
import { defaultDataConverter, type DataConverter, type DataConverterOptions } from './data-converter';
import { DefaultFailureConverter } from './failure-converter';
import { isEncryptingCodec, type PayloadCodec } from './codec-chain';
import { createDefaultPayloadConverter, defaultPayloadConverter, type PayloadConverter } from './payload-converter';

function hasMethods(value: unknown, names: string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');
}

function validateCodecs(codecs: unknown, optionName: string): PayloadCodec[] {
  if (!Array.isArray(codecs)) {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${optionName}.payloadCodecs\` must be an array of codecs (objects with \`encode(payloads)\` and \`decode(payloads)\` methods); got ${codecs === null ? 'null' : typeof codecs}.`,
    );
  }
  codecs.forEach((codec, i) => {
    if (!hasMethods(codec, ['encode', 'decode'])) {
      const missing =
        typeof codec === 'object' && codec !== null
          ? ['encode', 'decode'].filter((n) => typeof (codec as Record<string, unknown>)[n] !== 'function')
          : ['encode', 'decode'];
      throw new ConfigError(
        'ERR_INVALID_OPTION',
        `\`${optionName}.payloadCodecs[${i}]\` is not a payload codec: it has no ${missing.map((m) => `\`${m}(payloads, context)\``).join(' or ')} method. Pass a codec object (for example \`await EncryptionCodec.create({ keyRing })\`), not its class or a promise of it.`,
      );
    }
  });
  return codecs as PayloadCodec[];
}

/**
 * `require`s the module at `payloadConverterPath` and returns its `payloadConverter`.
 * @throws {ConfigError} `ERR_INVALID_OPTION` naming the option and what is wrong
 */
function requirePayloadConverter(value: unknown, optionName: string): { file: string; converter: PayloadConverter } {
  const option = `${optionName}.payloadConverterPath`;
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${option}\` must be the path of a module that exports \`payloadConverter\` (e.g. \`require.resolve('./payload-converter')\`); got ${value === '' ? 'an empty string' : value === null ? 'null' : typeof value}.`,
    );
  }
  const requireFromCwd = nodeModule.createRequire(`${process.cwd().replace(/[\\/]$/, '')}/`);
  // As in the bundler, a relative path is a file path from the working directory; a bare
  // name that is no such file is then tried as a package.
  const bare = !/^(\.{1,2}([\\/]|$)|[\\/]|[A-Za-z]:[\\/])/.test(value);
  let file: string | undefined;
  let notFound: unknown;
  for (const candidate of bare ? [`./${value}`, value] : [value]) {
    try {
      file = requireFromCwd.resolve(candidate);
      break;
    } catch (err) {
      notFound ??= err;
    }
  }
  if (file === undefined) {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${option}\` names ${JSON.stringify(value)}, which cannot be found (relative paths are resolved from the working directory). Pass the path of the compiled module, e.g. \`require.resolve('./payload-converter')\`.`,
      { cause: notFound },
    );
  }
  let loaded: unknown;
  try {
    loaded = requireFromCwd(file);
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${option}\`: loading ${file} threw ${e?.code ?? e?.name ?? 'an error'}: ${String(e?.message ?? err).split('\n')[0]}. Fix the module so that \`require\` succeeds.`,
      { cause: err },
    );
  }
  const exported = typeof loaded === 'object' && loaded !== null ? (loaded as Record<string, unknown>) : {};
  if (!('payloadConverter' in exported)) {
    const names = Object.keys(exported).filter((k) => k !== '__esModule');
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${option}\`: ${file} has no \`payloadConverter\` export (its exports: ${names.length ? names.map((n) => `\`${n}\``).join(', ') : 'none'}). Add \`export const payloadConverter = …\` to the module.`,
    );
  }
  const converter = exported.payloadConverter;
  if (!hasMethods(converter, ['toPayload', 'fromPayload'])) {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${option}\`: the \`payloadConverter\` export of ${file} must be an object with \`toPayload(value)\` and \`fromPayload(payload)\` methods; got ${converter === null ? 'null' : typeof converter}.`,
    );
  }
  return { file, converter: converter as PayloadConverter };
}

/**
 * Validates `options` and fills in defaults.
 * @param optionName how the option is named in messages. @default 'dataConverter'
 * @throws {ConfigError} `ERR_INVALID_OPTION` when a converter or codec lacks its methods, or
 *   `payloadConverterPath` cannot be loaded or has no valid `payloadConverter` export;
 *   `ERR_CONFLICTING_OPTIONS` for `payloadConverter`, `payloadConverterPath` and `protobufRoot`
 *   together (any two), or `failureConverter` with `encodeCommonAttributes`
 */
export function loadDataConverter(options: DataConverterOptions = {}, optionName = 'dataConverter'): DataConverter {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      `\`${optionName}\` must be an object like \`{ payloadConverter?, failureConverter?, payloadCodecs? }\`; got ${options === null ? 'null' : typeof options}.`,
    );
  }
  const { payloadConverter, payloadConverterPath, protobufRoot, failureConverter, encodeCommonAttributes } = options;
  const payloadCodecs = options.payloadCodecs === undefined ? [] : validateCodecs(options.payloadCodecs, optionName);
  if (payloadConverter !== undefined && !hasMethods(payloadConverter, ['toPayload', 'fromPayload'])) {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      '`dataConverter.payloadConverter` must be an object with `toPayload(value)` and `fromPayload(payload)` methods.',
    );
  }
  if (failureConverter !== undefined && !hasMethods(failureConverter, ['errorToFailure', 'failureToError'])) {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      '`dataConverter.failureConverter` must be an object with `errorToFailure(err, payloadConverter)` and `failureToError(failure, payloadConverter)` methods.',
    );
  }
  if (protobufRoot !== undefined && !hasMethods(protobufRoot, ['lookupType'])) {
    throw new ConfigError(
      'ERR_INVALID_OPTION',
      '`dataConverter.protobufRoot` must be a protobufjs Root (an object with `lookupType(name)`), e.g. the default export of your generated `root.js`.',
    );
  }
  if (encodeCommonAttributes !== undefined && typeof encodeCommonAttributes !== 'boolean') {
    throw new ConfigError('ERR_INVALID_OPTION', `\`dataConverter.encodeCommonAttributes\` must be a boolean; got ${typeof encodeCommonAttributes}.`);
  }
  if (payloadConverter !== undefined && protobufRoot !== undefined) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      '`dataConverter.payloadConverter` and `dataConverter.protobufRoot` cannot be used together: the root only configures the default payload converter. Build your converter with the root instead (e.g. `createDefaultPayloadConverter({ protobufRoot })`).',
    );
  }
  if (payloadConverterPath !== undefined && payloadConverter !== undefined) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`${optionName}.payloadConverterPath\` and \`${optionName}.payloadConverter\` cannot be used together: both set the payload converter. Keep \`payloadConverterPath\` (a worker needs it to give workflow code the same converter).`,
    );
  }
  if (payloadConverterPath !== undefined && protobufRoot !== undefined) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      `\`${optionName}.payloadConverterPath\` and \`${optionName}.protobufRoot\` cannot be used together: the root only configures the default payload converter. Export \`payloadConverter = createDefaultPayloadConverter({ protobufRoot })\` from the converter module instead.`,
    );
  }
  // Loaded after the conflict checks so that a conflicting call does not run module code.
  const fromPath = payloadConverterPath === undefined ? undefined : requirePayloadConverter(payloadConverterPath, optionName);
  if (failureConverter !== undefined && encodeCommonAttributes !== undefined) {
    throw new ConfigError(
      'ERR_CONFLICTING_OPTIONS',
      '`dataConverter.failureConverter` and `dataConverter.encodeCommonAttributes` cannot be used together: the flag only configures the default failure converter. Pass `new DefaultFailureConverter({ encodeCommonAttributes })` instead.',
    );
  }
  if (
    payloadConverter === undefined &&
    fromPath === undefined &&
    protobufRoot === undefined &&
    failureConverter === undefined &&
    encodeCommonAttributes === undefined &&
    payloadCodecs.length === 0
  ) {
    return defaultDataConverter;
  }
  // Encrypted payloads are pointless if failure messages and stack traces stay in clear.
  const encodeAttrs = failureConverter === undefined && (encodeCommonAttributes ?? payloadCodecs.some(isEncryptingCodec));
  return Object.freeze({
    payloadConverter:
      payloadConverter ?? fromPath?.converter ?? (protobufRoot !== undefined ? createDefaultPayloadConverter({ protobufRoot }) : defaultPayloadConverter),
    ...(fromPath ? { payloadConverterPath: fromPath.file } : {}),
    failureConverter: failureConverter ?? new DefaultFailureConverter({ encodeCommonAttributes: encodeAttrs }),
    payloadCodecs: Object.freeze([...payloadCodecs]),
    encodeCommonAttributes: encodeAttrs,
  });
}
