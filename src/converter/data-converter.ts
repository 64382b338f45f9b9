/**
 * The data converter: the payload converter and the failure converter a client, worker or
 * workflow uses, compiled from user options with defaults filled in.
 */
import { ConfigError } from '../common/errors';
import { DefaultFailureConverter, type FailureConverter } from './failure-converter';
import { createDefaultPayloadConverter, defaultPayloadConverter, type PayloadConverter } from './payload-converter';
import type { ProtobufRoot } from './protobuf-payload-converter';

/** What users pass as `dataConverter` (payload codecs are configured separately: they run outside the sandbox). */
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
   * @default false
   */
  encodeCommonAttributes?: boolean;
}

/** The compiled form: both converters present. */
export interface DataConverter {
  readonly payloadConverter: PayloadConverter;
  readonly failureConverter: FailureConverter;
}

/** The default data converter. */
export const defaultDataConverter: DataConverter = Object.freeze({
  payloadConverter: defaultPayloadConverter,
  failureConverter: new DefaultFailureConverter(),
});

function hasMethods(value: unknown, names: string[]): boolean {
  return typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');
}

/**
 * Validates `options` and fills in defaults.
 * @throws {ConfigError} `ERR_INVALID_OPTION` when a converter lacks its methods;
 *   `ERR_CONFLICTING_OPTIONS` for `payloadConverter` with `protobufRoot`, or `failureConverter` with `encodeCommonAttributes`
 */
export function loadDataConverter(options: DataConverterOptions = {}): DataConverter {
  const { payloadConverter, protobufRoot, failureConverter, encodeCommonAttributes } = options;
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
  if (payloadConverter === undefined && protobufRoot === undefined && failureConverter === undefined && encodeCommonAttributes === undefined) {
    return defaultDataConverter;
  }
  return Object.freeze({
    payloadConverter: payloadConverter ?? (protobufRoot !== undefined ? createDefaultPayloadConverter({ protobufRoot }) : defaultPayloadConverter),
    failureConverter: failureConverter ?? new DefaultFailureConverter({ encodeCommonAttributes: encodeCommonAttributes ?? false }),
  });
}
