/**
 * `bastion-temporal/native`: Bastion's connectivity toolkit over Temporal's native engine
 * (the official `@temporalio/worker` and its Core) — validated hot certificate rotation,
 * watched certificate files, environment profiles, expiry warnings and the doctor's
 * diagnosis, for teams that keep the official worker. `@temporalio/worker` is an optional
 * peer dependency: importing this subpath without it throws `ERR_NATIVE_PEER_MISSING`.
 *
 * ```ts
 * import { Worker } from '@temporalio/worker';
 * import { connectNative } from 'bastion-temporal/native';
 *
 * const native = await connectNative({ profile: 'prod', watchCertificateFiles: { crt: '/certs/tls.crt', key: '/certs/tls.key' } });
 * const worker = await Worker.create({ connection: native.connection, namespace: native.namespace, taskQueue: 'orders', workflowsPath, activities });
 * native.attach(worker);
 * native.on('rotation', (e) => console.log('rotated to', e.certificate?.subject));
 * await worker.run();
 * await native.close();
 * ```
 *
 * Encrypted payloads and failures for the official Worker and Client:
 *
 * ```ts
 * import { encryptedDataConverter } from 'bastion-temporal/native';
 * import { KeyRing } from 'bastion-temporal/codecs';
 * const dataConverter = await encryptedDataConverter({ keyRing: KeyRing.fromEnv(), compression: true });
 * // Worker.create({ …, dataConverter }) and new Client({ …, dataConverter }) of @temporalio/*
 * ```
 */
import { loadOfficialWorker } from './peer';

loadOfficialWorker();

export { connectNative, NativeConnectionManager } from './native-connection-manager';
export type { NativeConnectionState } from './native-connection-manager';
export type { NativeConnectionManagerEvents, NativeRefusalEvent, NativeRotationEvent, RotationSource } from './rotation-events';
export { DEFAULT_CLOSE_GRACE_MS } from './native-options';
export type { NativeConnectOptions } from './native-options';
export { NATIVE_PEER_RANGE } from './peer';
export type { DiagnosedError } from './connect-diagnosis';
export { encryptedDataConverter, ENCRYPTED_FAILURE_CONVERTER_PATH, FAILURE_CONVERTER_PEER } from './data-converter';
export { requireNativePeer } from './peer';
export type { EncryptedDataConverterOptions, NativeDataConverter } from './data-converter';
