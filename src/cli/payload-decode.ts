/**
 * `bastion payload decode`: decodes every payload in a history (or a `{ payloads }` body,
 * or one payload) with the key file, and prints the same JSON with the payloads decoded.
 */
import * as fs from 'node:fs';
import { looksLikePayloadJson, payloadFromJson, payloadToJson, type PayloadJson } from '../../codecs/http-payloads';
import type { CodecContext } from '../../codecs/payload-codec';
import { BastionError, CliError, CodecError } from '../common/errors';
import { decodeUtf8, metadataString } from '../common/payload';
import type { PayloadCodec } from '../../codecs/payload-codec';
import { parseFlags, wantsHelp, type Flags } from './args';
import { codecSettings, DEFAULT_NAMESPACE } from './operator-options';
import { RemoteCodec } from './remote-codec';
import { codecFromFlags, KEY_FLAGS } from './codec-server';
import { printJson } from './output';

export const PAYLOAD_DECODE_HELP = `Usage: bastion payload decode (--keys FILE | --codec-endpoint URL) [--input FILE|-] [flags]

Reads a workflow history in proto3 JSON (as \`bastion workflow show --output json\` and
\`temporal workflow show -o json\` write it), a \`{"payloads":[…]}\` body, or one payload,
and prints the same JSON with every payload decrypted (and decompressed): inputs, results,
signals, markers, memo, heartbeat details, failures' encodedAttributes, anywhere.

Flags:
  --keys FILE             key file {"active":"<id>","keys":{"<id>":"<base64 of 32 bytes>"}}
  --codec-endpoint URL    or decode through this codec server (POST URL/decode), as the
                          Temporal CLI does; the namespace (-n, default "default") is sent
                          as X-Namespace
  --codec-auth VALUE      the Authorization header for the codec server ("Bearer TOKEN")
  --input FILE            read this file; "-" (the default) reads stdin
  -o, --output json       the output format (only json)
  --with-values           add "decoded": <value> beside each json/plain payload, for
                          reading (the output is then no longer a replayable history)
  -n, --namespace NS      the namespace, for payloads encrypted with bindToContext
  -w, --workflow-id ID    the workflow id, for payloads encrypted with bindToContext

Example:
  bastion workflow show -w order-1 -o json | bastion payload decode --keys keys.json --with-values
`;

interface Found {
  holder: Record<string, unknown> | unknown[];
  key: string | number;
  path: string;
  json: PayloadJson;
}

/** Every raw payload in `json`, with where it sits. */
function findPayloads(json: unknown, path: string, out: Found[], holder?: Found['holder'], key?: string | number): void {
  if (looksLikePayloadJson(json) && holder !== undefined && key !== undefined) {
    out.push({ holder, key, path, json });
    return;
  }
  if (Array.isArray(json)) json.forEach((v, i) => findPayloads(v, `${path}[${i}]`, out, json, i));
  else if (typeof json === 'object' && json !== null) {
    for (const [k, v] of Object.entries(json)) findPayloads(v, path ? `${path}.${k}` : k, out, json as Record<string, unknown>, k);
  }
}

function readInput(file: string): string {
  try {
    return file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('ERR_CLI_USAGE', `\`--input\` ${file === '-' ? '(stdin)' : file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
}

/** The codec of `--keys`, or the remote one of `--codec-endpoint` (one of the two). */
async function decodeCodec(f: Flags): Promise<PayloadCodec> {
  if (f['codec-endpoint'] === undefined) {
    if (f['codec-auth'] !== undefined) throw new CliError('ERR_CLI_USAGE', '`--codec-auth` is sent to the codec server; pass `--codec-endpoint URL` too.');
    return codecFromFlags(f, 'payload decode');
  }
  if (f.keys !== undefined) throw new CliError('ERR_CLI_USAGE', '`--keys` and `--codec-endpoint` are two ways to decode: pass one of them.');
  const remote = codecSettings(f, undefined)!;
  return new RemoteCodec(remote.endpoint, (f.namespace as string | undefined) ?? DEFAULT_NAMESPACE, remote.auth);
}

export async function payloadDecode(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(PAYLOAD_DECODE_HELP);
    return 0;
  }
  const f = parseFlags(
    argv,
    {
      ...KEY_FLAGS,
      input: { value: true },
      output: { value: true, alias: 'o' },
      'with-values': {},
      namespace: { value: true, alias: 'n' },
      'workflow-id': { value: true, alias: 'w' },
      'codec-endpoint': { value: true },
      'codec-auth': { value: true },
    },
    'payload decode',
  );
  if (f.output !== undefined && f.output !== 'json') throw new CliError('ERR_CLI_USAGE', `\`--output\` must be json, got "${f.output}".`);
  const codec = await decodeCodec(f);
  const input = (f.input as string | undefined) ?? '-';
  let json: unknown;
  try {
    json = JSON.parse(readInput(input));
  } catch (err) {
    if (err instanceof BastionError) throw err;
    throw new CodecError(
      'ERR_CODEC_SERVER_PAYLOADS_INVALID',
      `\`--input\` ${input === '-' ? '(stdin)' : input} is not JSON. Pass a history from \`workflow show --output json\`, a {"payloads":[…]} body, or one payload.`,
    );
  }
  const context: CodecContext | undefined =
    f.namespace || f['workflow-id'] ? { namespace: f.namespace as string | undefined, workflowId: f['workflow-id'] as string | undefined } : undefined;
  // A lone payload has no holder: wrap it so it is found and replaced like the others.
  const root = { value: json };
  const found: Found[] = [];
  findPayloads(root, '', found);
  if (found.length === 0) process.stderr.write('bastion: note: the input holds no payloads; printing it unchanged.\n');
  for (const item of found) {
    const where = item.path.replace(/^value\.?/, '') || '(the input)';
    const payload = payloadFromJson(item.json, where);
    let decoded;
    try {
      [decoded] = await codec.decode([payload], context);
    } catch (err) {
      const code = err instanceof CodecError ? err.code : 'ERR_CODEC_SERVER_PAYLOADS_INVALID';
      const detail = err instanceof BastionError ? err.message : `the codec failed (${(err as Error)?.name ?? 'Error'})`;
      throw new CodecError(code, `The payload at \`${where}\` could not be decoded: ${detail}`, { cause: err });
    }
    const out: Record<string, unknown> = { ...payloadToJson(decoded!) };
    if (f['with-values'] === true) {
      const encoding = metadataString(decoded!, 'encoding');
      try {
        if (encoding === 'json/plain') out.decoded = JSON.parse(decodeUtf8(decoded!.data ?? new Uint8Array()));
        else if (encoding === 'binary/null') out.decoded = null;
      } catch {
        // Not JSON after all: leave the payload as it is.
      }
    }
    (item.holder as Record<string | number, unknown>)[item.key] = out;
  }
  printJson(root.value);
  return 0;
}
