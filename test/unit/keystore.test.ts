/**
 * wallet/keystore.ts: encryption roundtrip, wrong password, tampering, file modes, names and the default key.
 * Real files in an fs.mkdtemp directory; scrypt at the test floor N = 2^10.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { devAccount } from '../../node/core/dev-accounts.js';
import { isWalletError } from '../../wallet/errors.js';
import {
  DEFAULT_SCRYPT_N,
  Keystore,
  KeystoreFile,
  decryptKey,
  encryptKey,
  parseKeystoreFile,
  scryptNFromEnv,
} from '../../wallet/keystore.js';

const N = 1024;
let root: string;
let n = 0;
const freshDir = () => path.join(root, `w${n++}`, 'wallet');

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'minichain-keystore-'));
});
after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('encryptKey / decryptKey', () => {
  it('roundtrips a key and records the address and parameters', async () => {
    const dev = devAccount(0);
    const file = await encryptKey(dev.privateKey, 'hunter2', 'dev0', N);
    assert.equal(file.address, dev.address);
    assert.equal(file.crypto.kdf, 'scrypt');
    assert.equal(file.crypto.cipher, 'aes-256-gcm');
    assert.deepEqual({ ...file.crypto.kdfparams, salt: undefined }, { N, r: 8, p: 1, dklen: 32, salt: undefined });
    assert.ok(!JSON.stringify(file).includes(Buffer.from(dev.privateKey).toString('hex')), 'plaintext key in file');
    assert.deepEqual(await decryptKey(parseKeystoreFile(JSON.parse(JSON.stringify(file))), 'hunter2'), dev.privateKey);
  });

  it('uses a fresh salt and iv each time', async () => {
    const dev = devAccount(1);
    const a = await encryptKey(dev.privateKey, 'pw', 'a', N);
    const b = await encryptKey(dev.privateKey, 'pw', 'a', N);
    assert.notEqual(a.crypto.kdfparams.salt, b.crypto.kdfparams.salt);
    assert.notEqual(a.crypto.iv, b.crypto.iv);
    assert.notEqual(a.crypto.ciphertext, b.crypto.ciphertext);
  });

  it('rejects a wrong password by the GCM tag', async () => {
    const file = await encryptKey(devAccount(0).privateKey, 'right', 'dev0', N);
    await assert.rejects(decryptKey(file, 'wrong'), (e: unknown) => isWalletError(e, 'WRONG_PASSWORD') && /wrong password/.test(e.message));
  });

  it('rejects a tampered ciphertext, iv or tag', async () => {
    const file = await encryptKey(devAccount(0).privateKey, 'pw', 'dev0', N);
    const flip = (hex: string) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
    for (const field of ['ciphertext', 'iv', 'tag'] as const) {
      const bad: KeystoreFile = { ...file, crypto: { ...file.crypto, [field]: flip(file.crypto[field]) } };
      await assert.rejects(decryptKey(bad, 'pw'), (e: unknown) => isWalletError(e, 'WRONG_PASSWORD'), field);
    }
  });

  it('rejects a file whose address was swapped', async () => {
    const file = await encryptKey(devAccount(0).privateKey, 'pw', 'dev0', N);
    await assert.rejects(decryptKey({ ...file, address: devAccount(1).address }, 'pw'), (e: unknown) => isWalletError(e, 'KEYSTORE_CORRUPT'));
  });

  it('parseKeystoreFile refuses malformed files and out-of-bounds scrypt cost', async () => {
    const file = await encryptKey(devAccount(0).privateKey, 'pw', 'dev0', N);
    const variants: unknown[] = [
      null,
      { ...file, version: 2 },
      { ...file, crypto: { ...file.crypto, cipher: 'aes-128-ctr' } },
      { ...file, crypto: { ...file.crypto, kdfparams: { ...file.crypto.kdfparams, N: 2 ** 30 } } },
      { ...file, crypto: { ...file.crypto, kdfparams: { ...file.crypto.kdfparams, N: 1000 } } },
      { ...file, crypto: { ...file.crypto, iv: 'zz' } },
    ];
    for (const v of variants) assert.throws(() => parseKeystoreFile(v), (e: unknown) => isWalletError(e, 'KEYSTORE_CORRUPT'));
    assert.equal(parseKeystoreFile(JSON.parse(JSON.stringify(file))).name, 'dev0');
  });
});

describe('scryptNFromEnv', () => {
  it('defaults to 2^15 and accepts powers of two from 2^10', () => {
    assert.equal(scryptNFromEnv({}), DEFAULT_SCRYPT_N);
    assert.equal(DEFAULT_SCRYPT_N, 32768);
    assert.equal(scryptNFromEnv({ MINICHAIN_SCRYPT_N: '1024' }), 1024);
    for (const bad of ['512', '1000', 'abc', '-1024', '1e4'])
      assert.throws(() => scryptNFromEnv({ MINICHAIN_SCRYPT_N: bad }), (e: unknown) => isWalletError(e, 'INVALID_INPUT'), bad);
  });
});

describe('Keystore', () => {
  it('stores keys in a 0700 directory as 0600 files and unlocks them', async () => {
    const dir = freshDir();
    const ks = new Keystore(dir, { scryptN: N });
    const dev = devAccount(0);
    const info = await ks.add(dev.privateKey, 'pw', 'dev0');
    assert.deepEqual(info, { name: 'dev0', address: dev.address, isDefault: true });
    assert.equal((await fs.stat(dir)).mode & 0o777, 0o700);
    assert.equal((await fs.stat(path.join(dir, 'dev0.json'))).mode & 0o777, 0o600);
    assert.deepEqual(await ks.unlock('dev0', 'pw'), dev.privateKey);
    await assert.rejects(ks.unlock('dev0', 'nope'), (e: unknown) => isWalletError(e, 'WRONG_PASSWORD'));
    const leftovers = (await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(leftovers, []);
  });

  it('rejects a tampered file on disk', async () => {
    const dir = freshDir();
    const ks = new Keystore(dir, { scryptN: N });
    await ks.add(devAccount(0).privateKey, 'pw', 'dev0');
    const p = path.join(dir, 'dev0.json');
    const json = JSON.parse(await fs.readFile(p, 'utf8')) as KeystoreFile;
    const c = json.crypto.ciphertext;
    json.crypto.ciphertext = c.slice(0, 10) + (c[10] === 'a' ? 'b' : 'a') + c.slice(11);
    await fs.writeFile(p, JSON.stringify(json));
    await assert.rejects(ks.unlock('dev0', 'pw'), (e: unknown) => isWalletError(e, 'WRONG_PASSWORD'));
  });

  it('keeps names unique, validates them and refuses the same key twice', async () => {
    const ks = new Keystore(freshDir(), { scryptN: N });
    await ks.add(devAccount(0).privateKey, 'pw', 'alice');
    await assert.rejects(ks.add(devAccount(1).privateKey, 'pw', 'alice'), (e: unknown) => isWalletError(e, 'INVALID_INPUT') && /already exists/.test(e.message));
    await assert.rejects(ks.add(devAccount(0).privateKey, 'pw', 'bob'), (e: unknown) => isWalletError(e, 'INVALID_INPUT') && /already in the wallet as "alice"/.test(e.message));
    for (const bad of ['', 'Alice', '../x', 'a b', 'x'.repeat(33), '.hidden'])
      await assert.rejects(ks.add(devAccount(2).privateKey, 'pw', bad), (e: unknown) => isWalletError(e, 'INVALID_INPUT'), JSON.stringify(bad));
    assert.deepEqual((await ks.list()).map((k) => k.name), ['alice']);
  });

  it('makes the first key the default and finds keys by name', async () => {
    const ks = new Keystore(freshDir(), { scryptN: N });
    await assert.rejects(ks.resolve(), (e: unknown) => isWalletError(e, 'NOT_FOUND'));
    assert.equal(await ks.nextName(), 'key1');
    await ks.add(devAccount(3).privateKey, 'pw', 'zed');
    const second = await ks.add(devAccount(4).privateKey, 'pw', 'amy');
    assert.equal(second.isDefault, false);
    assert.equal((await ks.resolve()).name, 'zed');
    assert.equal((await ks.resolve('amy')).address, devAccount(4).address);
    await assert.rejects(ks.resolve('nobody'), (e: unknown) => isWalletError(e, 'NOT_FOUND'));
    assert.deepEqual(
      (await ks.list()).map((k) => [k.name, k.isDefault]),
      [
        ['amy', false],
        ['zed', true],
      ],
    );
  });

  it('reports a malformed key file instead of skipping it', async () => {
    const dir = freshDir();
    const ks = new Keystore(dir, { scryptN: N });
    await ks.add(devAccount(0).privateKey, 'pw', 'dev0');
    await fs.writeFile(path.join(dir, 'junk.json'), '{not json');
    await assert.rejects(ks.list(), (e: unknown) => isWalletError(e, 'KEYSTORE_CORRUPT') && e.message.includes('junk.json'));
  });
});
