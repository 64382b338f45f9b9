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

/**
 * Validates `options` and fills in defaults.
 * @param optionName how the option is named in messages. @default 'dataConverter'
 * @throws {ConfigError} `ERR_INVALID_OPTION` when a converter or codec lacks its methods,; `ERR_CONFLICTING_OPTIONS` for `payloadConverter` with `protobufRoot`, or
 *   `failureConverter` with `encodeCommonAttributes`
 */
export function loadDataConverter(options: DataConverterOptions = {}, optionName = 'dataConverter'): DataConverter {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('ERR_INVALID_OPTION', `\`${optionName}\` must be an object like \`{ payloadConverter?, failureConverter?, payloadCodecs? }\`; got ${options === null ? 'null' : typeof options}.`);
  }
  const { payloadConverter, protobufRoot, failureConverter, encodeCommonAttributes } = options;
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
  if (failureConverter !== undefined && encodeCommonAttributes !== undefined) {
    throw new ConfigError('ERR_CONFLICTING_OPTIONS', '`dataConverter.failureConverter` and `dataConverter.encodeCommonAttributes` cannot be used together: the flag only configures the default failure converter. Pass `new DefaultFailureConverter({ encodeCommonAttributes })` instead.');
  }
  if (payloadConverter === undefined && protobufRoot === undefined && failureConverter === undefined && encodeCommonAttributes === undefined && payloadCodecs.length === 0) {
    return defaultDataConverter;
  }
  // Encrypted payloads are pointless if failure messages and stack traces stay in clear.
  const encodeAttrs = failureConverter === undefined && (encodeCommonAttributes ?? payloadCodecs.some(isEncryptingCodec));
  return Object.freeze({
    payloadConverter: payloadConverter ?? (protobufRoot !== undefined ? createDefaultPayloadConverter({ protobufRoot }) : defaultPayloadConverter),
    failureConverter: failureConverter ?? new DefaultFailureConverter({ encodeCommonAttributes: encodeAttrs }),
    payloadCodecs: Object.freeze([...payloadCodecs]),
    encodeCommonAttributes: encodeAttrs,
  });
}
