/**
 * The data converter: the payload converter, the failure converter and the payload codecs
 * a client, worker or workflow uses, compiled from user options with defaults filled in.
 */
import { ConfigError } from '../common/errors';
import { DefaultFailureConverter, type FailureConverter } from './failure-converter';
import { isEncryptingCodec, type PayloadCodec } from './payload-codec';
import { createDefaultPayloadConverter, defaultPayloadConverter, type PayloadConverter } from './payload-converter';
import type { ProtobufRoot } from './protobuf-payload-converter';

/** What users pass as `dataConverter` to `Worker.create`, `new Client` and the replayer. */
export interface DataConverterOptions {
  /**
   * Converts values to payloads and back.
   * @default the default chain (`binary/null`, `binary/plain`, `json/protobuf`, `json/plain`)
   */
  payloadConverter?: PayloadConverter;
  /**
   * A module whose `payloadConverter` export converts values to payloads and back (the
   * official SDK's option). The module is `require`d here; a worker that bundles its
   * workflows (`workflowsPath`) bundles it too, so workflow code converts payloads the same
   * way. A path relative to the working directory is resolved from there; prefer
   * `require.resolve('./payload-converter')`. Cannot be combined with `payloadConverter`
   * or `protobufRoot`.
   * @default undefined (the default payload converter)
   */
  payloadConverterPath?: string;
  /**
   * protobufjs Root for the default payload converter, so protobuf payloads decode to
   * message instances. Cannot be combined with `payloadConverter`.
   * @default undefined
   */
  protobufRoot?: ProtobufRoot;
  /**
   * Converts errors to failures and back.
   * @default new DefaultFailureConverter({ encodeCommonAttributes })
   */
  failureConverter?: FailureConverter;
  /**
   * Encrypt-ready failures: message and stack trace go into `encodedAttributes` (see
   * {@link FailureConverterOptions.encodeCommonAttributes}). Cannot be combined with `failureConverter`.
   * @default true when `payloadCodecs` holds an encrypting codec (Bastion's `EncryptionCodec`,
   *   or any codec with `encrypts === true`) and no `failureConverter` is given; else false
   */
  encodeCommonAttributes?: boolean;
  /**
   * Codecs applied to payloads after the payload converter, in array order (decoding runs
   * them in reverse). They run outside the workflow sandbox, on the payloads the official
   * SDK encodes: inputs, results, signal/query arguments and answers, memo, heartbeat
   * details and failures. Headers and search attributes stay in clear.
   * @default []
   */
  payloadCodecs?: PayloadCodec[];
}

/** The compiled form: both converters present, codecs as a frozen list. */
export interface DataConverter {
  readonly payloadConverter: PayloadConverter;
  /**
   * The resolved file of `payloadConverterPath` when the converter came from one; the
   * worker bundles this module into workflow code.
   * @default undefined
   */
  readonly payloadConverterPath?: string;
  readonly failureConverter: FailureConverter;
  /** @default [] */
  readonly payloadCodecs?: readonly PayloadCodec[];
  /**
   * True when the failure converter is the default one with `encodeCommonAttributes` on;
   * the worker tells the workflow sandbox to convert failures the same way.
   * @default false
   */
  readonly encodeCommonAttributes?: boolean;
}

/** The default data converter. */
export const defaultDataConverter: DataConverter = Object.freeze({
  payloadConverter: defaultPayloadConverter,
  failureConverter: new DefaultFailureConverter(),
  payloadCodecs: Object.freeze([]) as readonly PayloadCodec[],
  encodeCommonAttributes: false,
});

function hasMethods(value: unknown, names: string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');
}

function validateCodecs(codecs: unknown, optionName: string): PayloadCodec[] {
  if (!Array.isArray(codecs)) {
    throw new ConfigError('ERR_INVALID_OPTION', `\`${optionName}.payloadCodecs\` must be an array of codecs (objects with \`encode(payloads)\` and \`decode(payloads)\` methods); got ${codecs === null ? 'null' : typeof codecs}.`);
  }
  codecs.forEach((codec, i) => {
    if (!hasMethods(codec, ['encode', 'decode'])) {
      const missing = typeof codec === 'object' && codec !== null ? ['encode', 'decode'].filter((n) => typeof (codec as Record<string, unknown>)[n] !== 'function') : ['encode', 'decode'];
      throw new ConfigError('ERR_INVALID_OPTION', `\`${optionName}.payloadCodecs[${i}]\` is not a payload codec: it has no ${missing.map((m) => `\`${m}(payloads, context)\``).join(' or ')} method. Pass a codec object (for example \`await EncryptionCodec.create({ keyRing })\`), not its class or a promise of it.`);
    }
  });
  return codecs as PayloadCodec[];
}

/** The bits of `node:module` used to load `payloadConverterPath`. */
interface NodeModuleApi {
  createRequire(filename: string): NodeJS.Require;
}

/**
 * `require`s the module at `payloadConverterPath` and returns its `payloadConverter`.
 * This file is also bundled into the workflow sandbox (through the converter index), so
 * `node:module` is reached at call time through `process.getBuiltinModule` rather than
 * imported: the bundler refuses Node built-ins, and only hosts ever call this.
 * @throws {ConfigError} `ERR_INVALID_OPTION` naming the option and what is wrong
 */
function requirePayloadConverter(value: unknown, optionName: string): { file: string; converter: PayloadConverter } {
  const option = `${optionName}.payloadConverterPath`;
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError('ERR_INVALID_OPTION', `\`${option}\` must be the path of a module that exports \`payloadConverter\` (e.g. \`require.resolve('./payload-converter')\`); got ${value === '' ? 'an empty string' : value === null ? 'null' : typeof value}.`);
  }
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; cwd?: () => string } }).process;
  const nodeModule = typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule('node:module') as NodeModuleApi | undefined) : undefined;
  if (!nodeModule || typeof proc?.cwd !== 'function') {
    throw new ConfigError('ERR_INVALID_OPTION', `\`${option}\` needs Node.js 20.16 or later (\`process.getBuiltinModule\`) to load the module. Upgrade Node.js, or pass the converter itself as \`${optionName}.payloadConverter\` (clients and activity-only workers).`);
  }
  const requireFromCwd = nodeModule.createRequire(`${proc.cwd().replace(/[\\/]$/, '')}/`);
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
    throw new ConfigError('ERR_INVALID_OPTION', `\`${option}\` names ${JSON.stringify(value)}, which cannot be found (relative paths are resolved from the working directory). Pass the path of the compiled module, e.g. \`require.resolve('./payload-converter')\`.`, { cause: notFound });
  }
  let loaded: unknown;
  try {
    loaded = requireFromCwd(file);
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    throw new ConfigError('ERR_INVALID_OPTION', `\`${option}\`: loading ${file} threw ${e?.code ?? e?.name ?? 'an error'}: ${String(e?.message ?? err).split('\n')[0]}. Fix the module so that \`require\` succeeds.`, { cause: err });
  }
  const exported = typeof loaded === 'object' && loaded !== null ? (loaded as Record<string, unknown>) : {};
  if (!('payloadConverter' in exported)) {
    const names = Object.keys(exported).filter((k) => k !== '__esModule');
    throw new ConfigError('ERR_INVALID_OPTION', `\`${option}\`: ${file} has no \`payloadConverter\` export (its exports: ${names.length ? names.map((n) => `\`${n}\``).join(', ') : 'none'}). Add \`export const payloadConverter = …\` to the module.`);
  }
  const converter = exported.payloadConverter;
  if (!hasMethods(converter, ['toPayload', 'fromPayload'])) {
    throw new ConfigError('ERR_INVALID_OPTION', `\`${option}\`: the \`payloadConverter\` export of ${file} must be an object with \`toPayload(value)\` and \`fromPayload(payload)\` methods; got ${converter === null ? 'null' : typeof converter}.`);
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
    throw new ConfigError('ERR_INVALID_OPTION', `\`${optionName}\` must be an object like \`{ payloadConverter?, failureConverter?, payloadCodecs? }\`; got ${options === null ? 'null' : typeof options}.`);
  }
  const { payloadConverter, payloadConverterPath, protobufRoot, failureConverter, encodeCommonAttributes } = options;
  const payloadCodecs = options.payloadCodecs === undefined ? [] : validateCodecs(options.payloadCodecs, optionName);
  if (payloadConverter !== undefined && !hasMethods(payloadConverter, ['toPayload', 'fromPayload'])) {
    throw new ConfigError('ERR_INVALID_OPTION', '`dataConverter.payloadConverter` must be an object with `toPayload(value)` and `fromPayload(payload)` methods.');
  }
  if (failureConverter !== undefined && !hasMethods(failureConverter, ['errorToFailure', 'failureToError'])) {
    throw new ConfigError('ERR_INVALID_OPTION', '`dataConverter.failureConverter` must be an object with `errorToFailure(err, payloadConverter)` and `failureToError(failure, payloadConverter)` methods.');
  }
  if (protobufRoot !== undefined && !hasMethods(protobufRoot, ['lookupType'])) {
    throw new ConfigError('ERR_INVALID_OPTION', '`dataConverter.protobufRoot` must be a protobufjs Root (an object with `lookupType(name)`), e.g. the default export of your generated `root.js`.');
  }
  if (encodeCommonAttributes !== undefined && typeof encodeCommonAttributes !== 'boolean') {
    throw new ConfigError('ERR_INVALID_OPTION', `\`dataConverter.encodeCommonAttributes\` must be a boolean; got ${typeof encodeCommonAttributes}.`);
  }
  if (payloadConverter !== undefined && protobufRoot !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', '`dataConverter.payloadConverter` and `dataConverter.protobufRoot` cannot be used together: the root only configures the default payload converter. Build your converter with the root instead (e.g. `createDefaultPayloadConverter({ protobufRoot })`).');
  }
  if (payloadConverterPath !== undefined && payloadConverter !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', `\`${optionName}.payloadConverterPath\` and \`${optionName}.payloadConverter\` cannot be used together: both set the payload converter. Keep \`payloadConverterPath\` (a worker needs it to give workflow code the same converter).`);
  }
  if (payloadConverterPath !== undefined && protobufRoot !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', `\`${optionName}.payloadConverterPath\` and \`${optionName}.protobufRoot\` cannot be used together: the root only configures the default payload converter. Export \`payloadConverter = createDefaultPayloadConverter({ protobufRoot })\` from the converter module instead.`);
  }
  // Loaded after the conflict checks so that a conflicting call does not run module code.
  const fromPath = payloadConverterPath === undefined ? undefined : requirePayloadConverter(payloadConverterPath, optionName);
  if (failureConverter !== undefined && encodeCommonAttributes !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', '`dataConverter.failureConverter` and `dataConverter.encodeCommonAttributes` cannot be used together: the flag only configures the default failure converter. Pass `new DefaultFailureConverter({ encodeCommonAttributes })` instead.');
  }
  if (payloadConverter === undefined && fromPath === undefined && protobufRoot === undefined && failureConverter === undefined && encodeCommonAttributes === undefined && payloadCodecs.length === 0) {
    return defaultDataConverter;
  }
  // Encrypted payloads are pointless if failure messages and stack traces stay in clear.
  const encodeAttrs = failureConverter === undefined && (encodeCommonAttributes ?? payloadCodecs.some(isEncryptingCodec));
  return Object.freeze({
    payloadConverter: payloadConverter ?? fromPath?.converter ?? (protobufRoot !== undefined ? createDefaultPayloadConverter({ protobufRoot }) : defaultPayloadConverter),
    ...(fromPath ? { payloadConverterPath: fromPath.file } : {}),
    failureConverter: failureConverter ?? new DefaultFailureConverter({ encodeCommonAttributes: encodeAttrs }),
    payloadCodecs: Object.freeze([...payloadCodecs]),
    encodeCommonAttributes: encodeAttrs,
  });
}
