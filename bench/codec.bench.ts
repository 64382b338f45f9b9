/**
 * Payload codec throughput in this process: MB/s of `encode` and `decode` for 1 KiB,
 * 64 KiB and 1 MiB payloads, for
 *  - Bastion's EncryptionCodec (XChaCha20-Poly1305; engine `auto`, and `libsodium` forced),
 *  - AES-256-GCM through WebCrypto as the official encryption sample does it (serialize the
 *    Payload, random 12-byte IV, `crypto.subtle.encrypt`, IV prepended), and
 *  - Bastion's CompressionCodec (gzip) on compressible JSON.
 * One payload per call, as the SDKs encode a single argument or result. Contenders are
 * interleaved per size so that machine drift affects all alike. Run as a child of
 * bench/run.js (`npm run bench -- --only codec`); prints one JSON line on stdout.
 *
 * Usage: node dist/bench/codec.bench.js [--min-ms N]   (time per figure, default 300)
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { CompressionCodec, EncryptionCodec, KeyRing, type PayloadCodec } from '../codecs/index';
import { defaultPayloadConverter, encodeUtf8, type Payload } from '../src/converter';

const SIZES = [1024, 64 * 1024, 1024 * 1024];
const minMsArg = process.argv.indexOf('--min-ms');
const MIN_MS = minMsArg >= 0 ? Number(process.argv[minMsArg + 1]) : 300;
const MIN_ITERATIONS = 20;

/** AES-256-GCM with WebCrypto, the way the official SDK's encryption sample does it. */
class WebCryptoAesGcmCodec implements PayloadCodec {
  constructor(
    private readonly key: webcrypto.CryptoKey,
    private readonly keyId: string,
  ) {}

  static async create(): Promise<WebCryptoAesGcmCodec> {
    const raw = KeyRing.generateKey();
    return new WebCryptoAesGcmCodec(await webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']), 'k1');
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const iv = webcrypto.getRandomValues(new Uint8Array(12));
        const ct = new Uint8Array(await webcrypto.subtle.encrypt({ name: 'AES-GCM', iv }, this.key, temporal.api.common.v1.Payload.encode(payload).finish()));
        const data = new Uint8Array(12 + ct.byteLength);
        data.set(iv);
        data.set(ct, 12);
        return { metadata: { encoding: encodeUtf8('binary/encrypted'), 'encryption-key-id': encodeUtf8(this.keyId) }, data };
      }),
    );
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const data = payload.data!;
        const plain = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: data.subarray(0, 12) }, this.key, data.subarray(12));
        return temporal.api.common.v1.Payload.decode(new Uint8Array(plain));
      }),
    );
  }
}

/** A payload whose `data` is `size` bytes: binary for the ciphers, JSON text for compression. */
function payloadOf(size: number, compressible: boolean): Payload {
  if (!compressible) return defaultPayloadConverter.toPayload(new Uint8Array(randomBytes(size)));
  // Order-like rows, cut to about `size` bytes of JSON.
  const row = (i: number) => ({ id: i, customer: `customer-${i % 97}`, status: i % 3 ? 'shipped' : 'pending', amount: (i * 37) % 1000 });
  const rows = Array.from({ length: Math.ceil(size / 40) }, (_, i) => row(i));
  while (rows.length > 1 && JSON.stringify(rows).length > size) rows.length = Math.floor(rows.length * 0.99);
  return defaultPayloadConverter.toPayload(rows);
}

async function measure(fn: () => Promise<unknown>, bytes: number, minMs = MIN_MS): Promise<number> {
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsedMs = 0;
  while (n < MIN_ITERATIONS || elapsedMs < minMs) {
    await fn();
    n++;
    elapsedMs = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (n * bytes) / (elapsedMs / 1000) / 1e6;
}

async function main(): Promise<void> {
  const keyRing = new KeyRing({ active: 'k1', keys: { k1: KeyRing.generateKey() } });
  const bastion = await EncryptionCodec.create({ keyRing });
  const contenders: Array<{ name: string; codec: PayloadCodec; compressible: boolean }> = [
    { name: 'bastion', codec: bastion, compressible: false },
    { name: 'bastion-libsodium', codec: await EncryptionCodec.create({ keyRing, engine: 'libsodium' }), compressible: false },
    { name: 'webcrypto-aes-gcm', codec: await WebCryptoAesGcmCodec.create(), compressible: false },
    { name: 'compression-gzip', codec: new CompressionCodec(), compressible: true },
  ];
  const results: Record<string, Record<string, { encodeMBps: number; decodeMBps: number; wireRatio: number }>> = {};
  for (const size of SIZES) {
    for (const { name, codec, compressible } of contenders) {
      const payload = payloadOf(size, compressible);
      const bytes = payload.data!.byteLength;
      const [wire] = await codec.encode([payload]);
      await measure(async () => codec.decode(await codec.encode([payload])), bytes, MIN_MS / 3); // warm-up
      const encodeMBps = await measure(() => codec.encode([payload]), bytes);
      const decodeMBps = await measure(() => codec.decode([wire!]), bytes);
      (results[String(size)] ??= {})[name] = { encodeMBps, decodeMBps, wireRatio: wire!.data!.byteLength / bytes };
      process.stderr.write(`codec ${name} ${size} B: encode ${encodeMBps.toFixed(0)} MB/s, decode ${decodeMBps.toFixed(0)} MB/s\n`);
    }
  }
  process.stdout.write(`${JSON.stringify({ ok: true, engine: bastion.engine, minMs: MIN_MS, sizes: SIZES, results })}\n`);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String((err as Error)?.stack ?? err) })}\n`);
  process.exit(1);
});
