import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isNodeError } from '../../node/core/errors.js';
import { publicKeyOf } from '../../node/core/keys.js';
import { toHex } from '../../node/core/bytes.js';
import { loadOrCreateNodeKey } from '../../node/p2p/peers/node-key.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const tmp = await makeTmpDir('minichain-nodekey-');
after(() => tmp.remove());

test('created on first start (with its directory), mode 0600, reused afterwards', async () => {
  const datadir = join(tmp.path, 'fresh', 'nested');
  const first = await loadOrCreateNodeKey(datadir);
  assert.equal(first.created, true);
  assert.equal(first.path, join(datadir, 'node.key'));
  assert.equal(first.privateKey.length, 32);
  assert.deepEqual(first.publicKey, publicKeyOf(first.privateKey));
  assert.equal(first.nodeId, toHex(first.publicKey));
  assert.match(first.nodeId, /^0[23][0-9a-f]{64}$/);
  assert.equal(await readFile(first.path, 'utf8'), toHex(first.privateKey) + '\n');
  if (process.platform !== 'win32') assert.equal((await stat(first.path)).mode & 0o777, 0o600);
  assert.deepEqual(await readdir(datadir), ['node.key'], 'no temp file left behind');

  const second = await loadOrCreateNodeKey(datadir);
  assert.equal(second.created, false);
  assert.deepEqual(second.privateKey, first.privateKey);
  assert.equal(second.nodeId, first.nodeId);

  const other = await loadOrCreateNodeKey(join(tmp.path, 'other'));
  assert.notEqual(other.nodeId, first.nodeId, 'fresh randomness per datadir');
});

test('a hand-written key with surrounding whitespace is accepted', async () => {
  const datadir = join(tmp.path, 'manual');
  await mkdir(datadir);
  const key = '01'.repeat(32);
  await writeFile(join(datadir, 'node.key'), `  ${key.toUpperCase()}\r\n`);
  const k = await loadOrCreateNodeKey(datadir);
  assert.equal(toHex(k.privateKey), key);
  assert.equal(k.created, false);
});

test('a corrupt key file is a CONFIG_ERROR naming the path, and is left untouched', async () => {
  const cases: [string, RegExp][] = [
    ['', /expected 64 hex characters/],
    ['zz'.repeat(32), /expected 64 hex characters/],
    ['ab'.repeat(31), /expected 64 hex characters/],
    ['00'.repeat(32), /not a valid secp256k1 private key/],
    ['ff'.repeat(32), /not a valid secp256k1 private key/],
  ];
  for (const [i, [content, why]] of cases.entries()) {
    const datadir = join(tmp.path, `corrupt-${i}`);
    await mkdir(datadir);
    const path = join(datadir, 'node.key');
    await writeFile(path, content);
    await assert.rejects(loadOrCreateNodeKey(datadir), (e: unknown) =>
      isNodeError(e, 'CONFIG_ERROR') && e.message.includes(path) && why.test(e.message), `case ${i}`);
    assert.equal(await readFile(path, 'utf8'), content, 'never overwritten');
  }
});

test('an unreadable key path is a CONFIG_ERROR naming it', async () => {
  const datadir = join(tmp.path, 'dir-in-the-way');
  await mkdir(join(datadir, 'node.key'), { recursive: true });
  await assert.rejects(loadOrCreateNodeKey(datadir), (e: unknown) =>
    isNodeError(e, 'CONFIG_ERROR') && e.message.startsWith(`cannot read node key ${join(datadir, 'node.key')}`));
});
