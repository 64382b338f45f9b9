/** `bastion codec-server`: the remote codec endpoint for the Temporal Web UI and the Temporal CLI. */
import * as fs from 'node:fs';
import { createCodecServer, isLoopbackHost } from '../../codecs/codec-server';
import { CompressionCodec, type CompressionAlgorithm } from '../../codecs/compression-codec';
import { EncryptionCodec } from '../../codecs/encryption-codec';
import { KeyRing } from '../../codecs/key-ring';
import { decodePayloads, encodePayloads, type PayloadCodec } from '../../codecs/payload-codec';
import { CliError } from '../common/errors';
import { consoleLogger, type LogLevel } from '../server/logger';
import { parseFlags, wantsHelp, type Flags } from './args';
import { portFlag, serveUntilSignal } from './serve-until-signal';

export const CODEC_SERVER_HELP = `Usage: bastion codec-server --port N --keys FILE [flags]

Serves POST …/encode and …/decode for the Temporal Web UI and the Temporal CLI, with
Bastion's encryption codec (and, with --compression, its compression codec). Prints
"bastion codec server listening on URL" when ready; SIGINT/SIGTERM stop it.

Flags:
  --port N                  port to listen on (0 = any free port)
  --ip IP                   address to listen on (default 127.0.0.1); another address
                            needs --tls-cert/--tls-key and an auth token, or
                            --allow-insecure-bind
  --keys FILE               key file {"active":"<id>","keys":{"<id>":"<base64 of 32 bytes>"}}
  --compression ALG         gzip | brotli: also compress on /encode (compressed payloads
                            are always decoded)
  --cors-origin URL         an origin allowed to call from a browser, e.g. the Web UI's
                            https://temporal-ui.example.com (repeatable)
  --cors-credentials        allow credentialed requests (the Web UI's "include
                            cross-origin credentials"); needs --cors-origin, not "*"
  --auth-token TOKEN        require "Authorization: Bearer TOKEN" (repeatable); visible to anyone
                            who can list processes: prefer --auth-token-env or --auth-token-file
  --auth-token-env VAR      require "Authorization: Bearer <token>" with the token in VAR
  --auth-token-file FILE    the same, tokens read from FILE (one per line)
  --tls-cert FILE           serve HTTPS with this certificate chain (needs --tls-key)
  --tls-key FILE            private key of --tls-cert
  --allow-insecure-bind     listen on an --ip other than loopback without TLS or without
                            an auth token; refused without this flag
  --max-body-bytes N        largest request body (default 4194304)
  --max-decoded-bytes N     most bytes one request may decode to (default 33554432)
  --max-in-flight-bytes N   most bytes all requests in progress may hold (default 134217728)
  --max-payloads N          most payloads in one request (default 1000)
  --max-connections N       most open connections (default 128)
  --log-level LEVEL         debug | info | warn | error | off (default info)

Examples:
  bastion codec-server --port 8888 --keys keys.json --cors-origin http://localhost:8233
  temporal workflow show -w order-1 --codec-endpoint http://127.0.0.1:8888 --codec-auth "Bearer $TOKEN"
`;

/** The flags shared by the commands that read a key file. */
export const KEY_FLAGS = { keys: { value: true }, compression: { value: true } } as const;

/**
 * The codec of `--keys` (and `--compression`): encrypts (after compressing, when asked);
 * decodes encrypted and compressed payloads alike, and passes others through.
 * @throws {CodecError} `ERR_CODEC_KEY_RING_INVALID` for a key file that cannot be read or is not a key ring
 */
export async function codecFromFlags(flags: Flags, command: string): Promise<PayloadCodec> {
  const keys = flags.keys;
  if (typeof keys !== 'string' || keys === '')
    throw new CliError('ERR_CLI_USAGE', `\`${command}\` needs \`--keys FILE\`, the key file the workers encrypt with.`);
  const compression = flags.compression as string | undefined;
  if (compression !== undefined && compression !== 'gzip' && compression !== 'brotli')
    throw new CliError('ERR_CLI_USAGE', `\`--compression\` must be gzip or brotli, got "${compression}".`);
  const encryption = await EncryptionCodec.create({ keyRing: KeyRing.fromFile(keys) });
  const encodeChain: PayloadCodec[] = compression ? [new CompressionCodec({ algorithm: compression as CompressionAlgorithm }), encryption] : [encryption];
  const decodeChain: PayloadCodec[] = [new CompressionCodec(), encryption];
  return {
    encode: (payloads, context) => encodePayloads(encodeChain, payloads, context),
    decode: (payloads, context) => decodePayloads(decodeChain, payloads, context),
  };
}

function readTokens(flags: Flags): string[] | undefined {
  const env = flags['auth-token-env'] as string | undefined;
  const file = flags['auth-token-file'] as string | undefined;
  const given = flags['auth-token'] as string[] | undefined;
  const sources = [given && '--auth-token', env !== undefined && '--auth-token-env', file !== undefined && '--auth-token-file'].filter(Boolean);
  if (sources.length > 1) throw new CliError('ERR_CLI_USAGE', `${sources.map((x) => `\`${x}\``).join(' and ')} cannot be used together: pick one.`);
  if (given) {
    const tokens = given.map((t) => t.trim());
    if (tokens.some((t) => t === '')) throw new CliError('ERR_CLI_USAGE', '`--auth-token` needs a non-empty token.');
    process.stderr.write(
      'bastion: warning: --auth-token puts the token on the command line, where other local users can read it; prefer --auth-token-env or --auth-token-file.\n',
    );
    return tokens;
  }
  if (env !== undefined) {
    const value = process.env[env]?.trim();
    if (!value) throw new CliError('ERR_CLI_USAGE', `\`--auth-token-env\` names the variable ${env}, which is not set or empty. Export the token in it.`);
    return [value];
  }
  if (file !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError('ERR_CLI_USAGE', `\`--auth-token-file\` ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    const tokens = text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    if (tokens.length === 0) throw new CliError('ERR_CLI_USAGE', `\`--auth-token-file\` ${file} holds no token; write one per line.`);
    return tokens;
  }
  return undefined;
}

export async function codecServerCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(CODEC_SERVER_HELP);
    return 0;
  }
  const f = parseFlags(
    argv,
    {
      ...KEY_FLAGS,
      port: { value: true },
      ip: { value: true },
      'cors-origin': { value: true, repeatable: true },
      'cors-credentials': {},
      'auth-token': { value: true, repeatable: true },
      'auth-token-env': { value: true },
      'auth-token-file': { value: true },
      'tls-cert': { value: true },
      'tls-key': { value: true },
      'max-body-bytes': { value: true },
      'max-decoded-bytes': { value: true },
      'max-in-flight-bytes': { value: true },
      'max-payloads': { value: true },
      'max-connections': { value: true },
      'allow-insecure-bind': {},
      'log-level': { value: true },
    },
    'codec-server',
  );
  if (f.port === undefined) throw new CliError('ERR_CLI_USAGE', '`codec-server` needs `--port N` (0 for any free port).');
  const port = portFlag(f.port);
  const ip = (f.ip as string | undefined) ?? '127.0.0.1';
  if (!!f['tls-cert'] !== !!f['tls-key']) throw new CliError('ERR_CLI_USAGE', '`--tls-cert` and `--tls-key` go together: pass both.');
  const level = (f['log-level'] as string | undefined) ?? 'info';
  if (!['debug', 'info', 'warn', 'error', 'off'].includes(level))
    throw new CliError('ERR_CLI_USAGE', `\`--log-level\` must be debug, info, warn, error or off, got "${level}".`);
  const whole = (flag: string): number | undefined => {
    const v = f[flag];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new CliError('ERR_CLI_USAGE', `\`--${flag}\` must be a whole number, got "${String(v)}".`);
    return Number(v);
  };
  const origins = f['cors-origin'] as string[] | undefined;
  if (f['cors-credentials'] === true && !origins)
    throw new CliError('ERR_CLI_USAGE', '`--cors-credentials` needs `--cors-origin URL`: credentials are only allowed for listed origins.');
  const tokens = readTokens(f);
  const codec = await codecFromFlags(f, 'codec-server');
  const server = createCodecServer({
    codec,
    cors: origins ? { origins, credentials: f['cors-credentials'] === true } : undefined,
    auth: tokens ? { tokens } : undefined,
    tls: f['tls-cert'] ? { cert: f['tls-cert'] as string, key: f['tls-key'] as string } : undefined,
    allowInsecureNonLoopback: f['allow-insecure-bind'] === true,
    maxBodyBytes: whole('max-body-bytes'),
    maxDecodedBytesPerRequest: whole('max-decoded-bytes'),
    maxInFlightBytes: whole('max-in-flight-bytes'),
    maxPayloadsPerRequest: whole('max-payloads'),
    maxConnections: whole('max-connections'),
    logger: consoleLogger(level as LogLevel),
  });
  // Refused (ERR_CODEC_SERVER_INSECURE_BIND) beyond loopback without TLS and a token, unless --allow-insecure-bind.
  const { url } = await server.listen(port, ip);
  if (!isLoopbackHost(ip) && (!f['tls-cert'] || !tokens)) {
    process.stderr.write(
      `bastion: warning: --allow-insecure-bind: the codec server listens on ${ip}${f['tls-cert'] ? '' : ' without TLS (decoded payloads and tokens cross the network in clear)'}${tokens ? '' : ' without an auth token (anyone who reaches the port can decode)'}.\n`,
    );
  } else if (!tokens) {
    process.stderr.write('bastion: note: no --auth-token, --auth-token-env or --auth-token-file: anyone who can reach the port can decode payloads.\n');
  }
  await serveUntilSignal(server, 'codec server', [`bastion codec server listening on ${url}`]);
  return 0;
}
