/**
 * Payloads on the command line, as the Temporal CLI handles them: `--input` values and
 * `--input-file` files are JSON, each one argument, sent as `json/plain` (encoded through
 * `--codec-endpoint` when given); payloads the server sends back are decoded through the
 * codec server, then read with the default payload converter.
 */
import * as fs from 'node:fs';
import type { PayloadCodec } from '../../codecs/payload-codec';
import { CliError } from '../common/errors';
import { defaultPayloadConverter, type Payload } from '../converter';
import { decodeUtf8, encodeUtf8 } from '../common/payload';
import type { FlagSpec, Flags } from './args';
import type { OperatorSettings } from './operator-options';
import { RemoteCodec } from './remote-codec';

/** `--input`/`-i` (repeatable JSON values) and `--input-file` (repeatable JSON files). */
export const INPUT_FLAGS: Readonly<Record<string, FlagSpec>> = Object.freeze({
  input: { value: true, alias: 'i', repeatable: true },
  'input-file': { value: true, repeatable: true },
  'input-meta': { value: true, repeatable: true },
  'input-base64': {},
});

/** The help lines of {@link INPUT_FLAGS}. */
export const INPUT_FLAGS_HELP = `  -i, --input JSON        an argument as a JSON value (repeatable: one flag per argument)
  --input-file FILE       an argument read from a JSON file (repeatable; not with --input)
  --input-meta KEY=VALUE  payload metadata for every argument (repeatable); encoding=…
                          replaces json/plain (then the value need not be JSON)
  --input-base64          the arguments are base64: their bytes are sent as they are`;

function checkJson(text: string, what: string): void {
  try {
    JSON.parse(text);
  } catch (err) {
    // The parser's words say where, not what: the value may be a secret.
    throw new CliError(
      'ERR_CLI_USAGE',
      `${what} is not valid JSON (${(err as Error).message.replace(/ in JSON at position.*$/, '').replace(/, ".*$/, '')}). Strings need quotes: --input '"text"'.`,
    );
  }
}

/**
 * The `--input`/`--input-file` arguments as `json/plain` payloads, the bytes as given.
 * @throws {CliError} `ERR_CLI_USAGE` for both flags at once, an unreadable file, or text that is not JSON
 */
export function inputPayloads(flags: Flags): Payload[] {
  const values = (flags.input as string[] | undefined) ?? [];
  const files = (flags['input-file'] as string[] | undefined) ?? [];
  if (values.length > 0 && files.length > 0)
    throw new CliError('ERR_CLI_USAGE', '`--input` and `--input-file` cannot be combined: pass every argument one way.');
  const metadata: Record<string, string> = { encoding: 'json/plain' };
  for (const item of (flags['input-meta'] as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0)
      throw new CliError('ERR_CLI_USAGE', `\`--input-meta\` takes KEY=VALUE, got "${item.slice(0, 40)}". Example: --input-meta encoding=json/protobuf.`);
    metadata[item.slice(0, eq)] = item.slice(eq + 1);
  }
  const base64 = flags['input-base64'] === true;
  // The Temporal CLI checks JSON only for json/plain text arguments.
  const mustBeJson = !base64 && metadata.encoding === 'json/plain';
  const inputs: Array<{ text: string; what: string }> = values.map((text, i) => ({ text, what: `\`--input\` #${i + 1}` }));
  for (const file of files) {
    try {
      inputs.push({ text: fs.readFileSync(file, 'utf8').trim(), what: `\`--input-file\` ${file}` });
    } catch (err) {
      throw new CliError('ERR_CLI_USAGE', `\`--input-file\` ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
  }
  return inputs.map(({ text, what }) => {
    if (mustBeJson) checkJson(text, what);
    let data: Uint8Array;
    if (base64) {
      if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text.trim())) throw new CliError('ERR_CLI_USAGE', `${what} is not base64, which \`--input-base64\` says it is.`);
      data = new Uint8Array(Buffer.from(text.trim(), 'base64'));
    } else data = encodeUtf8(text);
    const meta: Record<string, Uint8Array> = {};
    for (const [k, v] of Object.entries(metadata)) meta[k] = encodeUtf8(v);
    return { metadata: meta, data };
  });
}

/** The codec of `--codec-endpoint`, or undefined without one. */
export function remoteCodec(settings: OperatorSettings): PayloadCodec | undefined {
  return settings.codec ? new RemoteCodec(settings.codec.endpoint, settings.namespace, settings.codec.auth) : undefined;
}

/** Encodes input payloads through the codec, when there is one. */
export async function encodeInput(payloads: Payload[], codec: PayloadCodec | undefined): Promise<Payload[]> {
  return codec && payloads.length > 0 ? codec.encode(payloads) : payloads;
}

/**
 * A payload's value: `json/plain`, `binary/null` and the other standard encodings through
 * the default converter; anything it cannot read (still encrypted, binary) as a
 * description `{"encoding": …, "size": N}` so output stays JSON.
 */
export function payloadValue(payload: Payload): unknown {
  try {
    return defaultPayloadConverter.fromPayload<unknown>(payload);
  } catch {
    const e = payload.metadata?.encoding;
    return { encoding: e ? decodeUtf8(e) : '?', size: payload.data?.length ?? 0 };
  }
}

/** Decodes `payloads` through the codec (when there is one) and returns their values. */
export async function payloadValues(payloads: Payload[] | null | undefined, codec: PayloadCodec | undefined): Promise<unknown[]> {
  const list = payloads ?? [];
  const decoded = codec && list.length > 0 ? await codec.decode(list) : list;
  return decoded.map(payloadValue);
}

/** One value for one payload, a list for several, `null` for none (as the Temporal CLI prints results). */
export function singleOrList(values: unknown[]): unknown {
  return values.length === 0 ? null : values.length === 1 ? values[0] : values;
}
