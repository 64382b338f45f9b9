/**
 * The data converter: the payload converter, the failure converter and the payload codecs
 * a client, worker or workflow uses, compiled from user options with defaults filled in.
 */
import { DefaultFailureConverter, type FailureConverter } from './failure-converter';
import type { PayloadCodec } from './codec-chain';
import { defaultPayloadConverter, type PayloadConverter } from './payload-converter';
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
