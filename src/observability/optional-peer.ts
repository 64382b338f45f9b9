/** Loads an optional peer dependency only when the feature that needs it is turned on. */
import { ConfigError } from '../common/errors';

/** The optional peers of the observability layer, with the range Bastion is tested with. */
export const OPTIONAL_PEERS = {
  'prom-client': '^15.1.0',
  '@opentelemetry/api': '^1.9.0',
} as const;

/**
 * `require(name)`, or a coded error naming the package, its range and the option that asked for it.
 * @throws {ConfigError} `ERR_OPTIONAL_PEER_MISSING`
 */
export function loadOptionalPeer<T>(name: keyof typeof OPTIONAL_PEERS, option: string, load: (id: string) => unknown = require): T {
  try {
    return load(name) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new ConfigError(
      'ERR_OPTIONAL_PEER_MISSING',
      `\`${option}\` needs the optional peer dependency \`${name}\` (${OPTIONAL_PEERS[name]}), which is not installed. Run \`npm install ${name}@"${OPTIONAL_PEERS[name]}"\`, or remove \`${option}\`.`,
      { cause: err },
    );
  }
}
