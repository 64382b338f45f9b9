/**
 * `CompressionCodec`: gzip or brotli (node:zlib) of whole serialized payloads, only where it
 * pays, with a bounded decompression so a hostile payload cannot exhaust memory.
 *
 * Wire format: metadata `encoding: binary/compressed`, `compression: gzip | br`; data is
 * the compressed bytes of the serialized `temporal.api.common.v1.Payload`.
 */
import { inspect, promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { BastionError, CodecError, invalidOption } from '../src/common/errors';
import { METADATA_ENCODING_KEY, type Payload } from '../src/common/payload';
import { currentDecodeBudget, type DecodeBudget } from './decode-budget';
import type { PayloadCodec } from './payload-codec';
import { describePayload, deserializePayload, metadataBytes, readMetadata, serializePayload, withDetail } from './payload-bytes';

/** `encoding` of a compressed payload. */
export const ENCODING_COMPRESSED = 'binary/compressed';
/** Metadata key naming the algorithm: `gzip` or `br`. */
export const METADATA_COMPRESSION = 'compression';
/** Payloads whose serialized form is smaller than this stay as they are. @default 1024 */
export const DEFAULT_COMPRESSION_THRESHOLD_BYTES = 1024;
/** The largest payload `decode` will inflate to. @default 67108864 (64 MiB) */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;
/** Payloads at least this large are (de)compressed on the libuv thread pool rather than the event loop. */
const ASYNC_FROM_BYTES = 64 * 1024;
/** Output chunk of a streaming decompression: the most that is inflated past a budget before it stops. */
const STREAM_CHUNK_BYTES = 64 * 1024;

/** The algorithms, by their option name. */
export type CompressionAlgorithm = 'gzip' | 'brotli';

/** Options of `new CompressionCodec(...)`. */
export interface CompressionCodecOptions {
  /** @default 'gzip' */
  algorithm?: CompressionAlgorithm;
  /** Compress only payloads whose serialized size is at least this. @default 1024 */
  thresholdBytes?: number;
  /** gzip level 1–9 (@default 6) or brotli quality 0–11 (@default 5). */
  level?: number;
  /** `decode` refuses a payload that inflates past this many bytes (`ERR_CODEC_TOO_LARGE`). @default 67108864 */
  maxDecompressedBytes?: number;
}

const WIRE_NAME: Record<CompressionAlgorithm, string> = { gzip: 'gzip', brotli: 'br' };
const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);
const brotliAsync = promisify(zlib.brotliCompress);
const unbrotliAsync = promisify(zlib.brotliDecompress);

/**
 * A `PayloadCodec` that compresses large payloads. Put it before the encryption codec
 * (`payloadCodecs: [new CompressionCodec(), encryptionCodec]`): ciphertext does not compress.
 *
 * ```ts
 * const codec = new CompressionCodec({ algorithm: 'brotli', thresholdBytes: 4096 });
 * ```
 */
export class CompressionCodec implements PayloadCodec {
  readonly algorithm: CompressionAlgorithm;
  readonly thresholdBytes: number;
  readonly level: number;
  readonly maxDecompressedBytes: number;

  /**
   * @throws {ConfigError} `ERR_INVALID_OPTION` for an unknown algorithm, a negative threshold,
   *   a level out of range, or a limit that is not a positive integer.
   */
  constructor(options: CompressionCodecOptions = {}) {
    const algorithm = options.algorithm ?? 'gzip';
    if (algorithm !== 'gzip' && algorithm !== 'brotli')
      throw invalidOption('algorithm', `must be \`gzip\` or \`brotli\`; got \`${String(algorithm).slice(0, 40)}\`.`);
    const thresholdBytes = options.thresholdBytes ?? DEFAULT_COMPRESSION_THRESHOLD_BYTES;
    if (!Number.isInteger(thresholdBytes) || thresholdBytes < 0)
      throw invalidOption('thresholdBytes', `must be an integer ≥ 0; got ${String(thresholdBytes)}.`);
    const [lo, hi, dflt] = algorithm === 'gzip' ? [1, 9, 6] : [0, 11, 5];
    const level = options.level ?? dflt;
    if (!Number.isInteger(level) || level < lo || level > hi)
      throw invalidOption('level', `must be an integer from ${lo} to ${hi} for ${algorithm}; got ${String(level)}.`);
    const max = options.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
    if (!Number.isSafeInteger(max) || max < 1) throw invalidOption('maxDecompressedBytes', `must be a positive integer number of bytes; got ${String(max)}.`);
    this.algorithm = algorithm;
    this.thresholdBytes = thresholdBytes;
    this.level = level;
    this.maxDecompressedBytes = max;
  }

  /** Compresses each payload at least `thresholdBytes` long when that makes it smaller; others are returned as they are. */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const bytes = serializePayload(payload);
        if (bytes.byteLength < this.thresholdBytes || bytes.byteLength === 0) return payload;
        const compressed = await this.#compress(bytes);
        if (compressed.byteLength >= bytes.byteLength) return payload;
        return {
          metadata: { [METADATA_ENCODING_KEY]: metadataBytes(ENCODING_COMPRESSED), [METADATA_COMPRESSION]: metadataBytes(WIRE_NAME[this.algorithm]) },
          data: compressed,
        };
      }),
    );
  }

  /**
   * Decompresses payloads this codec wrote (with either algorithm); others pass through.
   * Inside a codec server request, decompression streams against the request's budget
   * (`maxDecodedBytesPerRequest`, `maxInFlightBytes`) and stops as soon as it is spent.
   * @throws {CodecError} `ERR_CODEC_TOO_LARGE` past `maxDecompressedBytes` (or the request's budget);
   *   `ERR_CODEC_SERVER_BUSY` when the codec server's in-flight budget is spent; `ERR_CODEC_MALFORMED`
   *   for corrupt data or missing metadata; `ERR_CODEC_UNSUPPORTED` for an unknown algorithm.
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    const budget = currentDecodeBudget();
    return Promise.all(
      payloads.map(async (payload, i) => {
        if (readMetadata(payload, METADATA_ENCODING_KEY) !== ENCODING_COMPRESSED) return payload;
        const what = describePayload(i, payloads.length);
        const detail = { payloadIndex: i, field: METADATA_COMPRESSION };
        const algorithm = readMetadata(payload, METADATA_COMPRESSION);
        if (algorithm === undefined)
          throw withDetail(
            new CodecError(
              'ERR_CODEC_MALFORMED',
              `${what} is \`${ENCODING_COMPRESSED}\` but has no \`${METADATA_COMPRESSION}\` metadata. It was not written by this codec, or was damaged.`,
            ),
            detail,
          );
        // The value may come from inside an encrypted payload: name the field, never what it holds.
        if (algorithm !== 'gzip' && algorithm !== 'br')
          throw withDetail(
            new CodecError('ERR_CODEC_UNSUPPORTED', `${what} has a \`${METADATA_COMPRESSION}\` this codec does not read; it reads \`gzip\` and \`br\`.`),
            detail,
          );
        const data = payload.data ?? new Uint8Array(0);
        let inflated: Buffer;
        try {
          inflated = budget ? await budget.decompress(() => this.#decompressWithin(budget, algorithm, data, what)) : await this.#decompress(algorithm, data);
        } catch (err) {
          if (err instanceof BastionError) throw withDetail(err, { payloadIndex: i });
          if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
            throw withDetail(this.#tooLarge(what), { payloadIndex: i });
          throw withDetail(
            new CodecError(
              'ERR_CODEC_MALFORMED',
              `${what} is not valid ${algorithm} data (${(err as NodeJS.ErrnoException).code ?? 'corrupt'}); it was truncated or damaged.`,
            ),
            { payloadIndex: i },
          );
        }
        return deserializePayload(inflated, what);
      }),
    );
  }

  #tooLarge(what: string): InstanceType<typeof CodecError> {
    return new CodecError(
      'ERR_CODEC_TOO_LARGE',
      `${what} inflates past \`maxDecompressedBytes\` (${this.maxDecompressedBytes} bytes) and was refused, as a decompression bomb would be. Raise \`maxDecompressedBytes\` only if the payload is trusted.`,
    );
  }

  /** Streaming decompression that charges each output chunk to `budget` and stops at the first refusal. */
  #decompressWithin(budget: DecodeBudget, algorithm: 'gzip' | 'br', data: Uint8Array, what: string): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const stream =
        algorithm === 'gzip' ? zlib.createGunzip({ chunkSize: STREAM_CHUNK_BYTES }) : zlib.createBrotliDecompress({ chunkSize: STREAM_CHUNK_BYTES });
      const chunks: Buffer[] = [];
      let size = 0;
      let stopped = false;
      const stop = (err: unknown) => {
        if (stopped) return;
        stopped = true;
        chunks.length = 0;
        stream.destroy();
        reject(err);
      };
      stream.on('data', (chunk: Buffer) => {
        if (stopped) return;
        size += chunk.length;
        try {
          if (size > this.maxDecompressedBytes) throw this.#tooLarge(what);
          budget.takeDecoded(chunk.length);
        } catch (err) {
          stop(err);
          return;
        }
        chunks.push(chunk);
      });
      stream.on('error', stop);
      stream.on('end', () => {
        if (!stopped) resolve(Buffer.concat(chunks, size));
      });
      stream.end(data);
    });
  }

  #compress(bytes: Uint8Array): Promise<Buffer> | Buffer {
    if (this.algorithm === 'gzip') {
      const opts = { level: this.level };
      return bytes.byteLength < ASYNC_FROM_BYTES ? zlib.gzipSync(bytes, opts) : gzipAsync(bytes, opts);
    }
    const opts = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: this.level, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } };
    return bytes.byteLength < ASYNC_FROM_BYTES ? zlib.brotliCompressSync(bytes, opts) : brotliAsync(bytes, opts);
  }

  async #decompress(algorithm: 'gzip' | 'br', data: Uint8Array): Promise<Buffer> {
    const opts = { maxOutputLength: this.maxDecompressedBytes };
    // Small inputs can still inflate hugely, so the sync path is bounded by the same limit.
    if (data.byteLength < ASYNC_FROM_BYTES / 8) return algorithm === 'gzip' ? zlib.gunzipSync(data, opts) : zlib.brotliDecompressSync(data, opts);
    return algorithm === 'gzip' ? gunzipAsync(data, opts) : unbrotliAsync(data, opts);
  }

  /** `CompressionCodec { algorithm, thresholdBytes, level, maxDecompressedBytes }`. */
  toString(): string {
    return `CompressionCodec { algorithm: ${this.algorithm}, thresholdBytes: ${this.thresholdBytes}, level: ${this.level}, maxDecompressedBytes: ${this.maxDecompressedBytes} }`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}
