/**
 * The test suite never touches a testnet the user runs: no test listens on or dials the default ports
 * (P2P 7001-7010, RPC 8001-8010), every testnet a test starts has its own --base-port, and every node
 * process a test starts is told its seeds (the default seeds are the user's testnet). Only this file may
 * name those numbers (in its own pattern).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/chain-fixtures.js';

const ROOT = repoRoot(import.meta.url);
const DATA_ONLY = new Set(['test/unit/test-ports.test.ts']);
const DEFAULT_PORT = /\b(700[1-9]|7010|800[1-9]|8010)\b/;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

test('no test uses the default ports; every testnet and node process a test starts has its own ports and seeds', async () => {
  const files = await sources(join(ROOT, 'test'));
  assert.ok(files.length > 20, 'found the test sources');
  const problems: string[] = [];
  for (const f of files) {
    const rel = relative(ROOT, f);
    if (rel.startsWith('test/vectors/')) continue;
    const lines = (await readFile(f, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      const where = `${rel}:${i + 1}`;
      if (!DATA_ONLY.has(rel) && DEFAULT_PORT.test(line.replace(/0x[0-9a-f_]+|\d+n\b/gi, ''))) problems.push(`${where} names a default port: ${line.trim()}`);
      if (/\bstartTestnet\(\s*\{/.test(line) && !/basePort/.test(line)) problems.push(`${where} starts a testnet without basePort`);
      if (/(runCli\(NODE,|\[NODE,)/.test(line) && !/'--seeds'|'--help'/.test(line)) problems.push(`${where} starts a node without --seeds`);
    });
  }
  assert.deepEqual(problems, []);
});
