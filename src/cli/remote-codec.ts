/**
 * A remote codec server as the Temporal CLI calls it: `POST <endpoint>/decode` (and
 * `/encode`) with `{"payloads":[…]}` in proto3 JSON, the namespace in `X-Namespace` and
 * `--codec-auth` as the `Authorization` header. Messages name the URL and the HTTP status,
 * never a payload or the auth value.
 */
import { payloadFromJson, payloadToJson } from '../../codecs/http-payloads';
import type { PayloadCodec } from '../../codecs/payload-codec';
import { CliError } from '../common/errors';
import type { Payload } from '../common/payload';

/** Longest wait for one codec server answer, in milliseconds. @default 30000 */
export const CODEC_REQUEST_TIMEOUT_MS = 30_000;

/** The codec server's own words, cut short and on one line (it never holds payload bytes). */
function serverWords(text: string): string {
  let words = text;
  try {
    const json = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = json.message ?? json.error;
    if (typeof m === 'string') words = m;
  } catch {
    // Not JSON: use the text as it is.
  }
  words = words.replace(/\s+/g, ' ').trim();
  return words.length > 200 ? `${words.slice(0, 199)}…` : words;
}

/** A {@link PayloadCodec} whose encode and decode are HTTP calls to a codec server. */
export class RemoteCodec implements PayloadCodec {
  constructor(
    private readonly endpoint: string,
    private readonly namespace: string,
    private readonly auth?: string,
  ) {}

  encode(payloads: Payload[]): Promise<Payload[]> {
    return this.call('encode', payloads);
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return this.call('decode', payloads);
  }

  private async call(operation: 'encode' | 'decode', payloads: Payload[]): Promise<Payload[]> {
    if (payloads.length === 0) return [];
    const url = `${this.endpoint}/${operation}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-namespace': this.namespace };
    if (this.auth) headers.authorization = this.auth;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ payloads: payloads.map(payloadToJson) }),
        signal: AbortSignal.timeout(CODEC_REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new CliError(
        'ERR_CLI_CODEC_ENDPOINT',
        `The codec server at \`--codec-endpoint\` ${this.endpoint} could not be reached to ${operation} (${cause}). Check the URL and that the codec server runs.`,
        { cause: err },
      );
    }
    const text = await res.text();
    if (!res.ok) {
      const hint =
        res.status === 401 || res.status === 403
          ? ` Pass the codec server's token with \`--codec-auth "Bearer TOKEN"\`${this.auth ? ' (the one given was refused)' : ''}.`
          : '';
      throw new CliError('ERR_CLI_CODEC_ENDPOINT', `The codec server at ${url} answered HTTP ${res.status}: ${serverWords(text)}.${hint}`);
    }
    let list: unknown;
    try {
      list = (JSON.parse(text) as { payloads?: unknown }).payloads;
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list) || list.length !== payloads.length) {
      throw new CliError(
        'ERR_CLI_CODEC_ENDPOINT',
        `The codec server at ${url} did not answer {"payloads":[…]} with ${payloads.length} payload(s). Check that \`--codec-endpoint\` is a codec server's URL.`,
      );
    }
    return list.map((p, i) => payloadFromJson(p, `payloads[${i}]`));
  }
}

type Holder = Record<string, unknown> | unknown[];

function isPayload(value: unknown): value is Payload {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { metadata?: unknown; data?: unknown };
  return (
    v.data instanceof Uint8Array &&
    typeof v.metadata === 'object' &&
    v.metadata !== null &&
    (v.metadata as Record<string, unknown>).encoding instanceof Uint8Array
  );
}

/**
 * Decodes every payload found anywhere in `message` (a decoded protobuf response: history
 * events, query results, memo) through `codec`, in place, in one batch.
 */
export async function decodePayloadsIn(message: unknown, codec: PayloadCodec): Promise<void> {
  const found: Array<{ holder: Holder; key: string | number; payload: Payload }> = [];
  const seen = new Set<unknown>();
  const walk = (value: unknown, holder?: Holder, key?: string | number): void => {
    if (typeof value !== 'object' || value === null || value instanceof Uint8Array || seen.has(value)) return;
    seen.add(value);
    if (isPayload(value) && holder !== undefined && key !== undefined) {
      found.push({ holder, key, payload: value });
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, value, i));
    else for (const k of Object.keys(value)) walk((value as Record<string, unknown>)[k], value as Record<string, unknown>, k);
  };
  walk(message);
  if (found.length === 0) return;
  const decoded = await codec.decode(found.map((f) => f.payload));
  found.forEach((f, i) => {
    (f.holder as Record<string | number, unknown>)[f.key] = decoded[i];
  });
}
