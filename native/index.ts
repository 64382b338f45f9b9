/**
 * `bastion-temporal/native`: Bastion's toolkit over the official `@temporalio/worker` and
 * `@temporalio/client` (optional peer dependencies). Encrypted payloads and failures:
 *
 * ```ts
 * import { encryptedDataConverter } from 'bastion-temporal/native';
 * import { KeyRing } from 'bastion-temporal/codecs';
 * const dataConverter = await encryptedDataConverter({ keyRing: KeyRing.fromEnv(), compression: true });
 * // Worker.create({ …, dataConverter }) and new Client({ …, dataConverter }) of @temporalio/*
 * ```
 */
export { encryptedDataConverter, requireNativePeer, ENCRYPTED_FAILURE_CONVERTER_PATH, FAILURE_CONVERTER_PEER } from './data-converter';
export type { EncryptedDataConverterOptions, NativeDataConverter } from './data-converter';
