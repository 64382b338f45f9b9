/**
 * `encryptedDataConverter`: Bastion's payload codecs (encryption with a key ring, optional
 * compression) as a `DataConverter` for the official `@temporalio/worker` and
 * `@temporalio/client`, with failure messages and stack traces encrypted too, as Bastion's
 * own worker does with an encrypting codec (docs/data-converter.md).
 */
import * as path from 'node:path';
import { CompressionCodec, type CompressionCodecOptions } from '../codecs/compression-codec';
import { EncryptionCodec, type EncryptionCodecOptions } from '../codecs/encryption-codec';
import { KeyRing } from '../codecs/key-ring';
import type { PayloadCodec } from '../codecs/payload-codec';
import { booleanOption, invalidOption } from '../src/common/errors';
import { requireNativePeer } from './peer';

/** The official package the failure converter module loads, and the range Bastion is tested with. */
export const FAILURE_CONVERTER_PEER = { name: '@temporalio/common', range: '^1.24.0' } as const;

/**
 * The path of the module exporting `failureConverter` (encoded common attributes on), for
 * `DataConverter.failureConverterPath` and `bundleWorkflowCode({ failureConverterPath })`.
 */
export const ENCRYPTED_FAILURE_CONVERTER_PATH = path.join(__dirname, 'failure-converter.js');

/** Options of {@link encryptedDataConverter}. */
export interface EncryptedDataConverterOptions {
  /** The keys: new payloads use the active one; any held key decrypts (rotation). */
  keyRing: KeyRing;
  /**
   * Compress payloads before they are encrypted (`true`, or the {@link CompressionCodec}'s options).
   * @default false
   */
  compression?: boolean | CompressionCodecOptions;
  /**
   * Move failure messages and stack traces into the encrypted attributes payload
   * (`encodeCommonAttributes`); the history then shows `Encoded failure` in their place.
   * @default true
   */
  encryptFailureAttributes?: boolean;
  /** The {@link EncryptionCodec}'s other options (`bindToContext`, `engine`). */
  encryption?: Omit<EncryptionCodecOptions, 'keyRing'>;
  /** A module exporting `payloadConverter`, passed through as `payloadConverterPath`. */
  payloadConverterPath?: string;
}

/**
 * A `DataConverter` of the official SDK (`@temporalio/common`), structurally: pass it as
 * `dataConverter` to the official `Worker.create`, `Client` and `bundleWorkflowCode`.
 */
export interface NativeDataConverter {
  /** Compression (when on), then encryption: payloads are encoded in this order and decoded in reverse. */
  payloadCodecs: PayloadCodec[];
  /** {@link ENCRYPTED_FAILURE_CONVERTER_PATH}; absent with `encryptFailureAttributes: false`. */
  failureConverterPath?: string;
  payloadConverterPath?: string;
}

/**
 * Builds the data converter for the official Worker and Client: Bastion's
 * {@link EncryptionCodec} over `keyRing` (after a {@link CompressionCodec} when
 * `compression` is on) and, by default, the failure converter that encrypts failure
 * messages and stack traces.
 *
 * ```ts
 * import { encryptedDataConverter } from 'bastion-temporal/native';
 * const dataConverter = await encryptedDataConverter({ keyRing: KeyRing.fromEnv(), compression: true });
 * const worker = await Worker.create({ connection, taskQueue, workflowsPath, activities, dataConverter }); // @temporalio/worker
 * const client = new Client({ connection, dataConverter });                                               // @temporalio/client
 * ```
 * @throws {ConfigError} `ERR_INVALID_OPTION` for a malformed option
 * @throws {ConfigError} `ERR_NATIVE_PEER_MISSING` when `@temporalio/common` (^1.24.0) is not installed and failure attributes are to be encrypted
 */
export async function encryptedDataConverter(options: EncryptedDataConverterOptions): Promise<NativeDataConverter> {
  if (typeof options !== 'object' || options === null)
    throw invalidOption('options', 'of `encryptedDataConverter` must be an object `{ keyRing, compression?, … }`.');
  const { keyRing, compression = false, encryption = {}, payloadConverterPath } = options;
  if (!(keyRing instanceof KeyRing))
    throw invalidOption('keyRing', 'must be a `KeyRing` (`new KeyRing({ active, keys })`, `KeyRing.fromEnv()` or `KeyRing.fromFile(path)`).');
  if (typeof compression !== 'boolean' && (typeof compression !== 'object' || compression === null))
    throw invalidOption('compression', 'must be `true`, `false` or the options of `CompressionCodec` (`{ algorithm?, thresholdBytes? }`).');
  if (payloadConverterPath !== undefined && (typeof payloadConverterPath !== 'string' || payloadConverterPath === ''))
    throw invalidOption('payloadConverterPath', 'must be the path of a module that exports `payloadConverter`.');
  const encryptFailures = booleanOption(options.encryptFailureAttributes, 'encryptFailureAttributes', true);
  if (encryptFailures) requireNativePeer(FAILURE_CONVERTER_PEER, '`encryptedDataConverter` (its failure converter)');
  const payloadCodecs: PayloadCodec[] = [];
  if (compression !== false) payloadCodecs.push(new CompressionCodec(compression === true ? {} : compression));
  payloadCodecs.push(await EncryptionCodec.create({ ...encryption, keyRing }));
  return {
    payloadCodecs,
    ...(encryptFailures ? { failureConverterPath: ENCRYPTED_FAILURE_CONVERTER_PATH } : {}),
    ...(payloadConverterPath !== undefined ? { payloadConverterPath } : {}),
  };
}
