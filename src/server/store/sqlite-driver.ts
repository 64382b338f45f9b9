/**
 * better-sqlite3 is an optional dependency: a native addon compiled on install, needed only
 * by the dev server's `--db-filename` (`dbFilename`). The SDK and the in-memory dev server
 * never load it; this loads it on first use and says what to install when it is absent.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { ServerError } from '../../common/errors';

/** The version range Bastion is tested with (better-sqlite3 13 needs Node 22). */
export const SQLITE_DRIVER_RANGE = 'better-sqlite3@12';

/**
 * @throws {ServerError} `ERR_SERVER_SQLITE_MISSING` when better-sqlite3 is not installed or its addon did not build
 */
export function loadSqliteDriver(load: (id: string) => unknown = require): typeof BetterSqlite3 {
  try {
    return load('better-sqlite3') as typeof BetterSqlite3; // require() caches it
  } catch (err) {
    const missing = (err as { code?: string }).code === 'MODULE_NOT_FOUND';
    throw new ServerError(
      'ERR_SERVER_SQLITE_MISSING',
      `\`--db-filename\` (dbFilename) needs the optional package better-sqlite3, which ${missing ? 'is not installed' : 'could not be loaded (its native addon did not build for this Node)'}. ` +
        `Install it with \`npm install ${SQLITE_DRIVER_RANGE}\` (it compiles a native addon: a C++ toolchain and python3 are needed where no prebuilt binary fits), or run the dev server in memory without \`--db-filename\`.`,
      { cause: err },
    );
  }
}
