/**
 * Payload codecs: authenticated encryption with key rotation, and compression. Each is a
 * `PayloadCodec` that Bastion's worker and client, and the official `@temporalio/*` SDK,
 * accept unchanged in `dataConverter.payloadCodecs`.
 *
 * ```ts
 * import { CompressionCodec, EncryptionCodec, KeyRing, decodePayloads, encodePayloads } from 'bastion-temporal/codecs';
 * import { defaultPayloadConverter } from 'bastion-temporal';
 *
 * const keyRing = new KeyRing({ active: 'k1', keys: { k1: KeyRing.generateKey() } }); // or KeyRing.fromEnv() / .fromFile(path)
 * const codecs = [new CompressionCodec(), await EncryptionCodec.create({ keyRing })];
 * const context = { namespace: 'default', workflowId: 'order-42' };
 * const wire = await encodePayloads(codecs, [defaultPayloadConverter.toPayload({ card: '4242' })], context);
 * const [back] = await decodePayloads(codecs, wire, context);
 * console.log(defaultPayloadConverter.fromPayload(back!)); // { card: '4242' }
 * // With the official SDK: new Client({ dataConverter: { payloadCodecs: codecs } })
 * ```
 */
export { encodePayloads, decodePayloads } from './payload-codec';
export type { PayloadCodec, CodecContext } from './payload-codec';
export { KeyRing, DEFAULT_KEYS_ENV, DEFAULT_KEY_CACHE_TTL_MS } from './key-ring';
export type { KeyRingOptions, KeyProvider, KeyProviderOptions } from './key-ring';
export {
  EncryptionCodec,
  ENCODING_ENCRYPTED,
  METADATA_ENCRYPTION_KEY_ID,
  METADATA_ENCRYPTION_CIPHER,
  METADATA_ENCRYPTION_BINDING,
  CIPHER_XCHACHA20POLY1305_V1,
} from './encryption-codec';
export type { EncryptionCodecOptions } from './encryption-codec';
export type { CipherEngineName } from './xchacha20-poly1305';
export {
  CompressionCodec,
  ENCODING_COMPRESSED,
  METADATA_COMPRESSION,
  DEFAULT_COMPRESSION_THRESHOLD_BYTES,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
} from './compression-codec';
export type { CompressionCodecOptions, CompressionAlgorithm } from './compression-codec';
export {
  createCodecServer,
  CODEC_SERVER_CLOSE_GRACE_MS,
  HEALTH_PATHS,
  DEFAULT_CODEC_SERVER_MAX_BODY_BYTES,
  DEFAULT_CODEC_SERVER_MAX_DECODED_BYTES_PER_REQUEST,
  DEFAULT_CODEC_SERVER_MAX_IN_FLIGHT_BYTES,
  DEFAULT_CODEC_SERVER_MAX_PAYLOADS_PER_REQUEST,
  DEFAULT_CODEC_SERVER_MAX_CONCURRENT_DECOMPRESSIONS,
  DEFAULT_CODEC_SERVER_MAX_CONNECTIONS,
  DEFAULT_CODEC_SERVER_HEADERS_TIMEOUT_MS,
  DEFAULT_CODEC_SERVER_REQUEST_TIMEOUT_MS,
} from './codec-server';
export type { CodecServer, CodecServerOptions, CodecServerAddress, CodecServerCodec, CodecOrChain, CodecServerLogger, CodecServerLimits } from './codec-server';
export { DEFAULT_CORS_MAX_AGE_SECONDS, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS } from './http-cors';
export type { CodecServerCorsOptions } from './http-cors';
export type { CodecServerAuthOptions, CodecAuthVerify, CodecAuthRequest } from './http-auth';
export { BastionError, CodecError } from '../src/common/errors';
