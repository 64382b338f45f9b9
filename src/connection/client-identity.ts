/** The `client-name` and `client-version` headers Bastion sends on every call. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Value of the `client-name` header. */
export const CLIENT_NAME = 'bastion';

/** The npm package Bastion is published as. */
export const PACKAGE_NAME = 'bastion-temporal';

/** Reads the version from Bastion's own package.json, wherever the compiled file sits. */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No package.json here; keep walking up.
    }
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

/** Value of the `client-version` header: the version in Bastion's package.json. */
export const CLIENT_VERSION: string = packageVersion();
