/**
 * Keeps the architecture honest by reading the sources: node/core is pure and platform-neutral
 * (only sibling modules, @noble/* and @scure/base; no clock, randomness, process or timers), storage
 * and chain never reach outward to p2p/rpc/miner, and the wallet uses only node/core of the node.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from '../helpers/chain-fixtures.js';

const ROOT = repoRoot(import.meta.url);

/** Every .ts source file under `dir` (recursively), excluding declaration files. */
function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/**
 * Source with comments removed, so that a comment mentioning Date.now is not a use of it. With
 * `blankQuoted`, the contents of '...' and "..." strings go too (template literals are kept, since
 * `${...}` holds code). Newlines are kept.
 */
function stripComments(src: string, blankQuoted = false): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (c === '/' && n === '*') {
      i += 2;
      while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) out += src[i++] === '\n' ? '\n' : '';
      i += 2;
    } else if (c === '"' || c === "'" || c === '`') {
      const keep = c === '`' || !blankQuoted;
      out += c;
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') out += keep ? src[i++] : (i++, '');
        out += keep ? src[i++] : (i++, '');
      }
      out += src[i++] ?? '';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Module specifiers of static imports, re-exports, side-effect imports and dynamic import(). */
function importsOf(src: string): string[] {
  const code = stripComments(src);
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) specs.push(m[1]!);
  return specs;
}

const FORBIDDEN_IN_CORE: [RegExp, string][] = [
  [/\bDate\s*\.\s*now\b/, 'Date.now'],
  [/\bMath\s*\.\s*random\b/, 'Math.random'],
  [/\bprocess\s*\./, 'process.'],
  [/\bsetTimeout\b/, 'setTimeout'],
  [/\brequire\s*\(/, 'require('],
];

/** Violations of the core's purity rules in one file's source. `file` is the path of the source. */
function coreViolations(file: string, src: string, coreDir: string): string[] {
  const out: string[] = [];
  for (const spec of importsOf(src)) {
    if (spec.startsWith('./')) {
      const target = resolve(dirname(file), spec);
      if (!isInside(target, coreDir)) out.push(`imports ${spec} from outside node/core`);
    } else if (!(spec.startsWith('@noble/') || spec === '@scure/base' || spec.startsWith('@scure/base/'))) {
      out.push(`imports ${spec}`);
    }
  }
  const code = stripComments(src, true);
  for (const [re, what] of FORBIDDEN_IN_CORE) if (re.test(code)) out.push(`uses ${what}`);
  return out;
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
}

/** Relative imports of `file` that resolve into any of `forbiddenDirs`. */
function importsInto(file: string, src: string, forbiddenDirs: string[]): string[] {
  const out: string[] = [];
  for (const spec of importsOf(src)) {
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (forbiddenDirs.some((d) => isInside(target, d))) out.push(spec);
  }
  return out;
}

const rel = (p: string) => relative(ROOT, p);

describe('the scanner itself', () => {
  const coreDir = join(ROOT, 'node/core');
  const fake = join(coreDir, 'fake.ts');

  test('finds forbidden imports and globals', () => {
    const bad = [
      "import { readFileSync } from 'node:fs';",
      "import { Level } from 'level';",
      "import type { Chain } from '../chain/chain.js';",
      "export { x } from '../storage/layout.js';",
      "import './side-effect-outside.js';",
      "const ws = await import('ws');",
      'const t = Date.now();',
      'const r = Math.random();',
      'const e = process.env.X;',
      'setTimeout(() => {}, 1);',
      "const c = require('crypto');",
    ];
    const v = coreViolations(fake, bad.join('\n'), coreDir);
    for (const want of ['node:fs', 'level', '../chain/chain.js', '../storage/layout.js', 'ws', 'Date.now', 'Math.random', 'process.', 'setTimeout', 'require(']) {
      assert.ok(v.some((x) => x.includes(want)), `should report ${want}: ${JSON.stringify(v)}`);
    }
    assert.deepEqual(coreViolations(fake, 'const s = `t=${Math.random()}`;', coreDir), ['uses Math.random'], 'code inside a template literal');
    assert.equal(coreViolations(fake, "import './side-effect.js';\nimport * as s from '@noble/secp256k1';", coreDir).length, 0);
  });

  test('allows siblings, @noble/* and @scure/base, and ignores comments', () => {
    const good = [
      "import { a } from './bytes.js';",
      "import { sha256 } from '@noble/hashes/sha2.js';",
      "import { bech32m } from '@scure/base';",
      '// Date.now() is injected, never called here; process.env is not read',
      '/* setTimeout and Math.random are banned */',
      "const s = 'http://example.com/Date.now';",
    ].join('\n');
    assert.deepEqual(coreViolations(fake, good, coreDir), []);
    assert.deepEqual(coreViolations(fake, "import { x } from '@scure/bip39';", coreDir), ['imports @scure/bip39']);
  });

  test('resolves relative paths when checking outward imports', () => {
    const chainFile = join(ROOT, 'node/chain/x.ts');
    const outward = ['node/p2p', 'node/rpc', 'node/miner'].map((d) => join(ROOT, d));
    assert.deepEqual(importsInto(chainFile, "import { a } from '../p2p/peer.js';", outward), ['../p2p/peer.js']);
    assert.deepEqual(importsInto(chainFile, "import { a } from '../../node/miner/miner.js';", outward), ['../../node/miner/miner.js']);
    assert.deepEqual(importsInto(chainFile, "import { a } from '../core/block.js';\nimport { b } from './mempool.js';", outward), []);
    assert.deepEqual(importsInto(chainFile, "import { a } from '../p2p-ish/x.js';", outward), [], 'a sibling that only shares a prefix');
  });
});

describe('node/core is pure', () => {
  const coreDir = join(ROOT, 'node/core');
  const files = tsFiles(coreDir);

  test('the core sources are found', () => {
    assert.ok(files.length >= 15, `found ${files.length} files in node/core`);
    for (const name of ['bytes.ts', 'tx.ts', 'block.ts', 'check-block.ts', 'pow.ts']) assert.ok(files.some((f) => f.endsWith(sep + name)), name);
  });

  for (const file of files) {
    test(rel(file), () => {
      assert.deepEqual(coreViolations(file, readFileSync(file, 'utf8'), coreDir), []);
    });
  }
});

describe('dependencies point inward', () => {
  const outward = ['node/p2p', 'node/rpc', 'node/miner', 'node/main.ts'].map((d) => join(ROOT, d));
  for (const ring of ['node/storage', 'node/chain']) {
    test(`${ring} does not import p2p, rpc, miner or main`, () => {
      const found: string[] = [];
      for (const file of tsFiles(join(ROOT, ring)))
        for (const spec of importsInto(file, readFileSync(file, 'utf8'), outward)) found.push(`${rel(file)}: ${spec}`);
      assert.deepEqual(found, []);
    });
  }

  test('node/storage does not import node/chain', () => {
    const found: string[] = [];
    for (const file of tsFiles(join(ROOT, 'node/storage')))
      for (const spec of importsInto(file, readFileSync(file, 'utf8'), [join(ROOT, 'node/chain')])) found.push(`${rel(file)}: ${spec}`);
    assert.deepEqual(found, []);
  });

  test('wallet/ imports nothing of the node but node/core', () => {
    const nodeDir = join(ROOT, 'node');
    const coreDir = join(nodeDir, 'core');
    const found: string[] = [];
    for (const file of tsFiles(join(ROOT, 'wallet'))) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (isInside(target, nodeDir) && !isInside(target, coreDir)) found.push(`${rel(file)}: ${spec}`);
      }
    }
    assert.deepEqual(found, []);
  });
});
