/**
 * Where the bundled files are: the package root is found by walking up from this module to the
 * directory holding package.json, so it works from sources and from the compiled dist/ alike.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'genesis.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the minichain package root (genesis.json next to package.json)');
}

export function bundledGenesisPath(): string {
  return join(packageRoot(), 'genesis.json');
}

export function packageVersion(): string {
  return '0.1.0';
}
