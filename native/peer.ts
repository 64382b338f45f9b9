/**
 * The official worker package, loaded on demand. `bastion-temporal/native` layers over
 * `@temporalio/worker` (its native Core, through `@temporalio/core-bridge`), an optional
 * peer dependency: nothing else in Bastion loads it, and this subpath refuses to load
 * without it, naming what to install.
 */
import { ConfigError } from '../src/common/errors';

/**
 * The range of `@temporalio/worker` (and `@temporalio/client`, `@temporalio/common`) this
 * layer is written against: 1.24 brought the `worker.connection` setter it relies on.
 * @default '^1.24.0'
 */
export const NATIVE_PEER_RANGE = '^1.24.0';

/** The official worker module's type, erased at run time. */
export type OfficialWorkerModule = typeof import('@temporalio/worker');

const PACKAGE = '@temporalio/worker';

/** Whether `version` (`1.24.3`) is in a caret range of a 1.x package (`^1.24.0`): same major, minor at least the range's. */
function inCaretRange(version: string | undefined, range: string): boolean {
  const [major, minor] = (version ?? '').split('.').map(Number);
  const [minMajor, minMinor] = range.replace(/^\^/, '').split('.').map(Number);
  return major === minMajor && minor! >= minMinor!;
}

function missing(problem: string, cause?: unknown): InstanceType<typeof ConfigError> {
  return new ConfigError(
    'ERR_NATIVE_PEER_MISSING',
    `\`bastion-temporal/native\` needs the optional peer dependency \`${PACKAGE}\` ${NATIVE_PEER_RANGE}, which ${problem}. Install it with \`npm install ${PACKAGE}@${NATIVE_PEER_RANGE} @temporalio/client@${NATIVE_PEER_RANGE} @temporalio/common@${NATIVE_PEER_RANGE}\`, or use Bastion's own worker (\`bastion-temporal/worker\`), which needs neither.`,
    cause === undefined ? undefined : { cause },
  );
}

let loaded: OfficialWorkerModule | undefined;

/**
 * Loads `@temporalio/worker` once and checks its version.
 *
 * @throws {ConfigError} `ERR_NATIVE_PEER_MISSING` when it is not installed, cannot load, or is outside {@link NATIVE_PEER_RANGE}
 */
export function loadOfficialWorker(): OfficialWorkerModule {
  if (loaded) return loaded;
  let version: string | undefined;
  try {
    version = (require(`${PACKAGE}/package.json`) as { version?: string }).version;
  } catch (err) {
    throw missing('is not installed', err);
  }
  if (!inCaretRange(version, NATIVE_PEER_RANGE)) throw missing(`is installed at version ${String(version)}, outside that range`);
  try {
    loaded = require(PACKAGE) as OfficialWorkerModule;
  } catch (err) {
    // A package that is present but whose native addon (core-bridge) does not load for this platform.
    throw missing(`is installed but could not be loaded (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, err);
  }
  return loaded;
}

/**
 * Checks that an official package is installed in a version Bastion supports.
 *
 * @throws {ConfigError} `ERR_NATIVE_PEER_MISSING` naming the package and the range
 */
export function requireNativePeer(peer: { name: string; range: string }, feature: string, load: (id: string) => unknown = require): void {
  let version: string | undefined;
  try {
    version = (load(`${peer.name}/package.json`) as { version?: string }).version;
  } catch (err) {
    throw new ConfigError(
      'ERR_NATIVE_PEER_MISSING',
      `${feature} needs the package ${peer.name} (${peer.range}), an optional peer dependency of Bastion that is not installed. Install it with \`npm install ${peer.name}@${peer.range}\`.`,
      { cause: err },
    );
  }
  if (!inCaretRange(version, peer.range)) {
    throw new ConfigError(
      'ERR_NATIVE_PEER_MISSING',
      `${feature} needs ${peer.name} ${peer.range}; version ${version ?? 'unknown'} is installed. Install a supported version with \`npm install ${peer.name}@${peer.range}\`.`,
    );
  }
}
