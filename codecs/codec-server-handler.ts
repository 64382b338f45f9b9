/**
 * One codec server request, from routing to the answer: path, method, content type,
 * authentication, the body (against `maxBodyBytes` and the in-flight budget), the JSON,
 * and the codec call under the request's decode budget. Answers never repeat payload
 * bytes, metadata values, keys or key ids: codec failures are described by their code,
 * the payload's index and the metadata field's name.
 */
import type * as http from 'node:http';
import { BastionError } from '../src/common/errors';
import type { Payload } from '../src/common/payload';
import type { CodecServerLimits, CompiledCodecServerOptions } from './codec-server-options';
import { runWithDecodeBudget, type DecodeBudget } from './decode-budget';
import { authorize } from './http-auth';
import { corsHeaders } from './http-cors';
import { payloadsFromJson, payloadsToJson } from './http-payloads';
import { errorDetail } from './payload-bytes';
import type { CodecContext } from './payload-codec';

/** Paths (last segment) answered 200 without authentication, for load balancers. */
export const HEALTH_PATHS: readonly string[] = ['health', 'healthz'];

type Operation = 'encode' | 'decode';

/** An answer: status, JSON body, extra headers. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What {@link handle} decided, with what the request log line needs. */
export interface Handled {
  answer: Answer;
  cors: Record<string, string>;
  namespace?: string;
  count?: number;
}

export const fail = (status: number, error: string, headers?: Record<string, string>): Answer => ({ status, body: { error }, headers });

/** 413 or 503 for a limit: the body names the limits (never the data) and the error code. */
export function limitAnswer(
  code: 'ERR_CODEC_TOO_LARGE' | 'ERR_CODEC_SERVER_BUSY',
  error: string,
  limits: CodecServerLimits,
  headers?: Record<string, string>,
): Answer {
  if (code === 'ERR_CODEC_SERVER_BUSY') {
    return {
      status: 503,
      body: { error, code, limits: { maxInFlightBytes: limits.maxInFlightBytes, maxConcurrentDecompressions: limits.maxConcurrentDecompressions } },
      headers: { 'Retry-After': '1', ...headers },
    };
  }
  const { maxBodyBytes, maxDecodedBytesPerRequest, maxPayloadsPerRequest } = limits;
  return { status: 413, body: { error, code, limits: { maxBodyBytes, maxDecodedBytesPerRequest, maxPayloadsPerRequest } }, headers };
}

type BodyResult = { body: Buffer } | { refused: 'too-large' | 'busy' };

/** Reads the body up to `limit` bytes, each chunk charged to the request's budget; stops reading at either limit. */
function readBody(req: http.IncomingMessage, limit: number, budget: DecodeBudget): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (refused: 'too-large' | 'busy') => {
      req.off('data', onData);
      req.pause();
      chunks.length = 0;
      resolve({ refused });
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return stop('too-large');
      try {
        budget.hold(chunk.length);
      } catch {
        return stop('busy');
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ body: Buffer.concat(chunks) }));
    req.once('error', reject);
  });
}

function splitPath(rawUrl: string | undefined): string[] | undefined {
  const pathname = (rawUrl ?? '/').split(/[?#]/, 1)[0]!;
  try {
    return pathname
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/**
 * True for `application/json` in any letter case, with parameters; a `charset` must be
 * UTF-8. A missing content type is refused: a browser sends a request without one (or
 * with `text/plain`) from any page without a CORS preflight.
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';');
  if (type!.trim().toLowerCase() !== 'application/json') return false;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    if (param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8') return false;
  }
  return true;
}

/** A caller-given name (namespace) as it may appear in an answer: quoted, at most 64 characters. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/** Metadata fields Bastion's codecs name in their errors (the only names an answer repeats). */
const KNOWN_FIELDS = new Set(['compression', 'encryption-key-id', 'encryption-cipher', 'encryption-binding', 'data']);

/** The 400 message for a codec failure: the code, the payload's index, the field's name; never the codec's own message. */
export function codecFailureMessage(err: unknown, operation: Operation): string {
  const code = err instanceof BastionError ? err.code : ((err as Error)?.name ?? 'Error');
  const detail = err instanceof BastionError ? errorDetail(err) : undefined;
  const where = typeof detail?.payloadIndex === 'number' ? `\`payloads[${detail.payloadIndex}]\`` : 'a payload';
  const field = detail?.field !== undefined && KNOWN_FIELDS.has(detail.field) ? detail.field : undefined;
  const head = `The codec could not ${operation} the payloads (${code})`;
  switch (code) {
    case 'ERR_CODEC_KEY_UNKNOWN':
      return `${head}: ${where} names, in \`encryption-key-id\`, a key this codec server does not hold. Give the server the workers' key ring, with retired keys kept for decryption (docs/key-rotation.md).`;
    case 'ERR_CODEC_AUTH_FAILED':
      return `${head}: ${where} failed authentication: its ciphertext or metadata was altered, it belongs to another namespace or workflow, or this server holds a different key under its \`encryption-key-id\`. Nothing was decrypted.`;
    case 'ERR_CODEC_CONTEXT_REQUIRED':
      return `${head}: ${where} is bound to its workflow (\`encryption-binding\`), and a codec server request names no workflow. Decode it with \`bastion payload decode --namespace … --workflow-id …\`.`;
    case 'ERR_CODEC_MALFORMED':
      return `${head}: ${where} is malformed${field ? ` (its \`${field}\` is missing or not valid)` : ''}; it was not written by this server's codec, or was damaged.`;
    case 'ERR_CODEC_UNSUPPORTED':
      return `${head}: ${where} has ${field ? `a \`${field}\`` : 'metadata'} this server's codec does not read. Decode it with the codec (or Bastion version) that wrote it.`;
    default:
      return `${head}. See the codec server's log.`;
  }
}

function payloadBytes(payloads: readonly Payload[]): number {
  let n = 0;
  for (const p of payloads) {
    n += p.data?.byteLength ?? 0;
    for (const [k, v] of Object.entries(p.metadata ?? {})) n += k.length + (v?.byteLength ?? 0);
  }
  return n;
}

/** Decides one request. Throws only on a bug (answered 500). */
export async function handle(o: CompiledCodecServerOptions, req: http.IncomingMessage, budget: DecodeBudget): Promise<Handled> {
  const segments = splitPath(req.url);
  const last = segments?.[segments.length - 1];
  const method = req.method ?? 'GET';
  if (!segments) return { answer: fail(400, 'The request path is not valid percent-encoding.', { Connection: 'close' }), cors: {} };
  if (last !== undefined && HEALTH_PATHS.includes(last)) {
    if (method !== 'GET' && method !== 'HEAD')
      return { answer: fail(405, `${method} is not allowed on the health endpoint; use GET.`, { Allow: 'GET, HEAD' }), cors: {} };
    return { answer: { status: 200, body: { status: 'ok' } }, cors: {} };
  }
  if (last !== 'encode' && last !== 'decode') {
    return {
      answer: fail(404, 'Not found. The codec endpoints are POST …/encode and POST …/decode (and GET /health).'),
      cors: corsHeaders(o.cors, req.headers.origin, false),
    };
  }
  const operation: Operation = last;
  if (method === 'OPTIONS') return { answer: { status: 204, body: undefined }, cors: corsHeaders(o.cors, req.headers.origin, true) };
  const cors = corsHeaders(o.cors, req.headers.origin, false);
  const limits = o.limits;
  // Early answers leave the body unread: close the connection rather than read it.
  const early = (status: number, error: string, headers?: Record<string, string>): Handled => ({
    answer: fail(status, error, { Connection: 'close', ...headers }),
    cors,
  });
  if (method !== 'POST') return early(405, `${method} is not allowed on /${operation}; send POST with a JSON body.`, { Allow: 'POST, OPTIONS' });
  // Requiring JSON also means browsers must send a preflight, which a page from another origin cannot pass.
  if (!isJsonContentType(req.headers['content-type'])) {
    return early(415, 'The body must be JSON: send `Content-Type: application/json` (any letter case; a `charset` parameter, if any, must be utf-8).');
  }
  const header = req.headers['x-namespace'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  const namespace = fromHeader ?? segments[segments.length - 2] ?? '';
  const outcome = await authorize(o.auth, req, namespace, operation);
  if (outcome === 'missing')
    return early(
      401,
      'This codec server needs `Authorization: Bearer <token>`. In the Web UI turn on "pass access token"; with the Temporal CLI pass `--codec-auth "Bearer <token>"`.',
      { 'WWW-Authenticate': 'Bearer realm="codec"' },
    );
  if (outcome === 'invalid')
    return early(401, 'The bearer token is not valid for this codec server.', { 'WWW-Authenticate': 'Bearer realm="codec", error="invalid_token"' });
  if (outcome === 'forbidden') return { ...early(403, `The bearer token does not allow namespace ${quoteName(namespace)}.`), namespace };
  const perNamespace = o.codecsByNamespace.get(namespace);
  const codec = perNamespace ?? o.codec;
  if (!codec) {
    if (!namespace)
      return early(400, 'Name the namespace: send the `X-Namespace` header (the Web UI and the Temporal CLI do), or post to `/<namespace>/' + operation + '`.');
    return { ...early(404, `This codec server has no codec for namespace ${quoteName(namespace)}.`), namespace };
  }
  const tooLargeBody = `The body is larger than \`maxBodyBytes\` (${limits.maxBodyBytes} bytes), the most this server takes. Decode fewer payloads per request, or raise \`maxBodyBytes\`.`;
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes)
    return { answer: limitAnswer('ERR_CODEC_TOO_LARGE', tooLargeBody, limits, { Connection: 'close' }), cors, namespace };
  const read = await readBody(req, limits.maxBodyBytes, budget);
  if ('refused' in read) {
    const answer =
      read.refused === 'too-large'
        ? limitAnswer('ERR_CODEC_TOO_LARGE', tooLargeBody, limits, { Connection: 'close' })
        : limitAnswer(
            'ERR_CODEC_SERVER_BUSY',
            `The codec server holds \`maxInFlightBytes\` (${limits.maxInFlightBytes} bytes) for requests in progress; retry shortly.`,
            limits,
            { Connection: 'close' },
          );
    return { answer, cors, namespace };
  }
  let json: unknown;
  try {
    json = JSON.parse(read.body.toString('utf8'));
  } catch (err) {
    // JSON.parse's message quotes the text around the error; only its position is safe to repeat.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    return {
      answer: fail(
        400,
        `The body is not valid JSON${at ? ` (at byte ${at})` : ''}; send {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}.`,
      ),
      cors,
      namespace,
    };
  }
  let payloads: Payload[];
  try {
    payloads = payloadsFromJson(json, { maxPayloads: limits.maxPayloadsPerRequest });
  } catch (err) {
    if (!(err instanceof BastionError)) throw err;
    if (err.code === 'ERR_CODEC_TOO_LARGE') return { answer: limitAnswer(err.code, err.message, limits), cors, namespace };
    return { answer: fail(400, err.message), cors, namespace };
  }
  let result: Payload[];
  try {
    // A path segment is only known to be a namespace when the header says so or a codec is registered for it.
    const context: CodecContext | undefined = namespace && (fromHeader !== undefined || perNamespace) ? { namespace } : undefined;
    result = await runWithDecodeBudget(budget, async () => {
      const out = await codec[operation](payloads, context);
      // Codecs that do not charge as they go (not Bastion's) are charged for what they returned.
      if (Array.isArray(out)) budget.settleDecoded(payloadBytes(out));
      return out;
    });
  } catch (err) {
    const code = err instanceof BastionError ? err.code : ((err as Error)?.name ?? 'Error');
    o.logger?.warn('codec failed', { operation, namespace, payloads: payloads.length, code, exceeded: budget.exceeded });
    // A limit reached inside the codec decides the answer, even when the codec wrapped the error in its own.
    const limit =
      budget.exceeded === 'in-flight'
        ? 'ERR_CODEC_SERVER_BUSY'
        : budget.exceeded === 'request'
          ? 'ERR_CODEC_TOO_LARGE'
          : code === 'ERR_CODEC_TOO_LARGE' || code === 'ERR_CODEC_SERVER_BUSY'
            ? code
            : undefined;
    if (limit === 'ERR_CODEC_SERVER_BUSY') {
      return {
        answer: limitAnswer(
          limit,
          `The codec server holds \`maxInFlightBytes\` (${limits.maxInFlightBytes} bytes) for requests in progress; decoding stopped. Retry shortly.`,
          limits,
        ),
        cors,
        namespace,
        count: payloads.length,
      };
    }
    if (limit === 'ERR_CODEC_TOO_LARGE') {
      const why =
        budget.exceeded === 'request'
          ? `the payloads decode to more than \`maxDecodedBytesPerRequest\` (${limits.maxDecodedBytesPerRequest} bytes)`
          : "a payload inflates past the codec's `maxDecompressedBytes`";
      return {
        answer: limitAnswer(
          limit,
          `The codec could not ${operation} the payloads: ${why}; decoding stopped there. Decode fewer payloads per request, or raise the limit only if the payloads are trusted.`,
          limits,
        ),
        cors,
        namespace,
        count: payloads.length,
      };
    }
    return { answer: fail(400, codecFailureMessage(err, operation)), cors, namespace, count: payloads.length };
  }
  if (!Array.isArray(result)) throw new TypeError(`the codec's ${operation} did not return an array`);
  return { answer: { status: 200, body: payloadsToJson(result) }, cors, namespace, count: payloads.length };
}
