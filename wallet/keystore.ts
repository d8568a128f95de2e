/**
 * Encrypted key storage: one JSON file per key in the wallet directory, in the manner of Ethereum's
 * keystore v3 but with an AEAD cipher.
 *   { version: 1, name, address,
 *     crypto: { kdf: 'scrypt', kdfparams: { N, r, p, dklen, salt }, cipher: 'aes-256-gcm', iv, ciphertext, tag } }
 * The AES key is scrypt(password, salt); a wrong password (or a tampered file) fails the GCM tag.
 * Directory mode 0700, files 0600, written to a temp file first so a crash never leaves half a key.
 * A plain-text `default` file names the default key (the first one created).
 * Imports node/core and wallet/ only. Uses node:fs and node:crypto, so it is not part of the pure core.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { encodeAddress } from '../node/core/address.js';
import { fromHex, toHex } from '../node/core/bytes.js';
import { addressHashOf, isValidPrivateKey, publicKeyOf } from '../node/core/keys.js';
import { WalletError } from './errors.js';

export const KEYSTORE_VERSION = 1;
/** Production scrypt cost: 2^15 with r = 8 is 32 MiB and ~0.1 s, the scrypt paper's interactive setting. */
export const DEFAULT_SCRYPT_N = 2 ** 15;
/** Floor for MINICHAIN_SCRYPT_N: tests may go cheap, never trivially cheap. */
export const MIN_SCRYPT_N = 2 ** 10;
/** Ceiling on N read from a file, so a crafted key file cannot make us allocate gigabytes. */
export const MAX_SCRYPT_N = 2 ** 20;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const DKLEN = 32;
const SALT_LEN = 32;
const IV_LEN = 12;
const TAG_LEN = 16;
const DEFAULT_FILE = 'default';
const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export interface KeystoreFile {
  version: 1;
  name: string;
  address: string;
  crypto: {
    kdf: 'scrypt';
    kdfparams: { N: number; r: number; p: number; dklen: number; salt: string };
    cipher: 'aes-256-gcm';
    iv: string;
    ciphertext: string;
    tag: string;
  };
}

export interface KeyInfo {
  name: string;
  address: string;
  isDefault: boolean;
}

export function isValidKeyName(name: string): boolean {
  return NAME_RE.test(name);
}

/**
 * Reads MINICHAIN_SCRYPT_N (a power of two, at least 2^10); absent means the production default.
 * @throws WalletError INVALID_INPUT for anything else.
 */
export function scryptNFromEnv(env: Record<string, string | undefined>): number {
  const raw = env.MINICHAIN_SCRYPT_N;
  if (raw === undefined || raw === '') return DEFAULT_SCRYPT_N;
  const n = /^\d{1,8}$/.test(raw) ? Number(raw) : NaN;
  if (!isPowerOfTwo(n) || n < MIN_SCRYPT_N || n > MAX_SCRYPT_N)
    throw new WalletError('INVALID_INPUT', `MINICHAIN_SCRYPT_N must be a power of two in [${MIN_SCRYPT_N}, ${MAX_SCRYPT_N}], got "${raw}"`);
  return n;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

async function deriveKey(password: string, salt: Uint8Array, N: number, r: number, p: number): Promise<Uint8Array> {
  return scryptAsync(password, salt, { N, r, p, dkLen: DKLEN });
}

/** Encrypts a private key under `password`. */
export async function encryptKey(privateKey: Uint8Array, password: string, name: string, N = DEFAULT_SCRYPT_N): Promise<KeystoreFile> {
  if (!isValidPrivateKey(privateKey)) throw new WalletError('INVALID_INPUT', 'invalid private key');
  const salt = randomBytes(SALT_LEN);
  const iv = randomBytes(IV_LEN);
  const key = await deriveKey(password, salt, N, SCRYPT_R, SCRYPT_P);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LEN });
  const ciphertext = Buffer.concat([cipher.update(privateKey), cipher.final()]);
  key.fill(0);
  return {
    version: KEYSTORE_VERSION,
    name,
    address: encodeAddress(addressHashOf(publicKeyOf(privateKey))),
    crypto: {
      kdf: 'scrypt',
      kdfparams: { N, r: SCRYPT_R, p: SCRYPT_P, dklen: DKLEN, salt: toHex(salt) },
      cipher: 'aes-256-gcm',
      iv: toHex(iv),
      ciphertext: toHex(ciphertext),
      tag: toHex(cipher.getAuthTag()),
    },
  };
}

/**
 * Decrypts a key file and checks that the key matches the file's address.
 * @throws WalletError WRONG_PASSWORD when the GCM tag does not verify (wrong password or tampered bytes)
 * @throws WalletError KEYSTORE_CORRUPT when the decrypted key does not belong to the stated address
 */
export async function decryptKey(file: KeystoreFile, password: string): Promise<Uint8Array> {
  const { kdfparams: kp } = file.crypto;
  const key = await deriveKey(password, fromHex(kp.salt), kp.N, kp.r, kp.p);
  const decipher = createDecipheriv('aes-256-gcm', key, fromHex(file.crypto.iv), { authTagLength: TAG_LEN });
  decipher.setAuthTag(fromHex(file.crypto.tag));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(fromHex(file.crypto.ciphertext)), decipher.final()]);
  } catch {
    throw new WalletError('WRONG_PASSWORD', `wrong password for key "${file.name}"`);
  } finally {
    key.fill(0);
  }
  const privateKey = new Uint8Array(plain);
  plain.fill(0);
  if (!isValidPrivateKey(privateKey) || encodeAddress(addressHashOf(publicKeyOf(privateKey))) !== file.address)
    throw new WalletError('KEYSTORE_CORRUPT', `key file for "${file.name}" is corrupt: key does not match address ${file.address}`);
  return privateKey;
}

/**
 * Validates a parsed key file (every field, with exact lengths and bounded scrypt cost).
 * @throws WalletError KEYSTORE_CORRUPT naming the bad field
 */
export function parseKeystoreFile(json: unknown, source = 'key file'): KeystoreFile {
  const bad = (what: string) => new WalletError('KEYSTORE_CORRUPT', `${source}: ${what}`);
  const o = json as Partial<KeystoreFile> | null;
  if (typeof o !== 'object' || o === null) throw bad('not a JSON object');
  if (o.version !== KEYSTORE_VERSION) throw bad(`unsupported version ${String(o.version)}`);
  if (typeof o.name !== 'string' || !isValidKeyName(o.name)) throw bad('bad "name"');
  if (typeof o.address !== 'string') throw bad('bad "address"');
  const c = o.crypto;
  if (typeof c !== 'object' || c === null) throw bad('missing "crypto"');
  if (c.kdf !== 'scrypt') throw bad(`unsupported kdf ${String(c.kdf)}`);
  if (c.cipher !== 'aes-256-gcm') throw bad(`unsupported cipher ${String(c.cipher)}`);
  const kp = c.kdfparams;
  if (typeof kp !== 'object' || kp === null) throw bad('missing "kdfparams"');
  if (!isPowerOfTwo(kp.N) || kp.N < MIN_SCRYPT_N || kp.N > MAX_SCRYPT_N) throw bad('bad scrypt "N"');
  if (!Number.isSafeInteger(kp.r) || kp.r < 1 || kp.r > 8) throw bad('bad scrypt "r"');
  if (!Number.isSafeInteger(kp.p) || kp.p < 1 || kp.p > 4) throw bad('bad scrypt "p"');
  if (kp.dklen !== DKLEN) throw bad('bad scrypt "dklen"');
  const hexField = (v: unknown, len: number, what: string) => {
    if (typeof v !== 'string' || v.length !== len * 2 || !/^[0-9a-f]*$/.test(v)) throw bad(`bad "${what}"`);
  };
  hexField(kp.salt, SALT_LEN, 'salt');
  hexField(c.iv, IV_LEN, 'iv');
  hexField(c.ciphertext, 32, 'ciphertext');
  hexField(c.tag, TAG_LEN, 'tag');
  return o as KeystoreFile;
}

/** The key files of one wallet directory. */
export class Keystore {
  readonly dir: string;
  private readonly scryptN: number;

  constructor(dir: string, opts: { scryptN?: number } = {}) {
    this.dir = dir;
    this.scryptN = opts.scryptN ?? DEFAULT_SCRYPT_N;
  }

  /**
   * Every key, sorted by name, with the default flagged.
   * @throws WalletError KEYSTORE_CORRUPT naming a malformed *.json file (never skipped silently)
   */
  async list(): Promise<KeyInfo[]> {
    const files = await this.readAll();
    const def = this.pickDefault(files, await this.readDefaultName());
    return files.map((f) => ({ name: f.name, address: f.address, isDefault: f.name === def })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /**
   * The key called `name`, or the default key (the first created; else the only one).
   * @throws WalletError NOT_FOUND for an unknown name or an empty wallet; USAGE when no key is the default
   */
  async resolve(name?: string): Promise<KeyInfo> {
    const keys = await this.list();
    if (name !== undefined) {
      const k = keys.find((x) => x.name === name);
      if (!k) throw new WalletError('NOT_FOUND', `no key named "${name}" in ${this.dir}`);
      return k;
    }
    if (keys.length === 0) throw new WalletError('NOT_FOUND', `no keys in ${this.dir}: run "minichain-wallet create" or "import" first`);
    const k = keys.find((x) => x.isDefault);
    if (!k) throw new WalletError('USAGE', `no default key in ${this.dir}: name one of ${keys.map((x) => x.name).join(', ')}`);
    return k;
  }

  /** The first `key<n>` name not yet used. */
  async nextName(): Promise<string> {
    const used = new Set((await this.readAll()).map((f) => f.name));
    for (let i = 1; ; i++) if (!used.has(`key${i}`)) return `key${i}`;
  }

  /**
   * Encrypts and stores a key. The first key in an empty wallet becomes the default.
   * @throws WalletError INVALID_INPUT for a bad or taken name, a bad key, or a key already stored
   */
  async add(privateKey: Uint8Array, password: string, name: string): Promise<KeyInfo> {
    if (!isValidKeyName(name)) throw new WalletError('INVALID_INPUT', `invalid key name "${name}": use 1-32 of a-z 0-9 _ - starting with a letter or digit`);
    if (!isValidPrivateKey(privateKey)) throw new WalletError('INVALID_INPUT', 'invalid private key: must be 32 bytes in [1, n-1]');
    const existing = await this.readAll();
    if (existing.some((f) => f.name === name)) throw new WalletError('INVALID_INPUT', `a key named "${name}" already exists`);
    const file = await encryptKey(privateKey, password, name, this.scryptN);
    const dup = existing.find((f) => f.address === file.address);
    if (dup) throw new WalletError('INVALID_INPUT', `this key is already in the wallet as "${dup.name}" (${dup.address})`);
    await this.ensureDir();
    await writeNewFile(path.join(this.dir, `${name}.json`), JSON.stringify(file, null, 2) + '\n', name);
    if (existing.length === 0) await replaceFile(path.join(this.dir, DEFAULT_FILE), name + '\n');
    const def = this.pickDefault([...existing, file], await this.readDefaultName());
    return { name, address: file.address, isDefault: def === name };
  }

  /**
   * Decrypts the key called `name`.
   * @throws WalletError NOT_FOUND, WRONG_PASSWORD, KEYSTORE_CORRUPT
   */
  async unlock(name: string, password: string): Promise<Uint8Array> {
    const file = await this.readKey(name);
    if (!file) throw new WalletError('NOT_FOUND', `no key named "${name}" in ${this.dir}`);
    return decryptKey(file, password);
  }

  private async readKey(name: string): Promise<KeystoreFile | undefined> {
    if (!isValidKeyName(name)) return undefined;
    const p = path.join(this.dir, `${name}.json`);
    let text: string;
    try {
      text = await fs.readFile(p, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return parseFile(text, p);
  }

  private async readAll(): Promise<KeystoreFile[]> {
    let entries: string[];
    try {
      entries = await fs.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: KeystoreFile[] = [];
    for (const entry of entries.filter((e) => e.endsWith('.json') && !e.startsWith('.')).sort()) {
      const p = path.join(this.dir, entry);
      const f = parseFile(await fs.readFile(p, 'utf8'), p);
      if (`${f.name}.json` !== entry) throw new WalletError('KEYSTORE_CORRUPT', `${p}: file name does not match key name "${f.name}"`);
      out.push(f);
    }
    return out;
  }

  private async readDefaultName(): Promise<string | undefined> {
    try {
      return (await fs.readFile(path.join(this.dir, DEFAULT_FILE), 'utf8')).trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** The named default if it still exists, else the only key, else none. */
  private pickDefault(files: readonly KeystoreFile[], named: string | undefined): string | undefined {
    if (named !== undefined && files.some((f) => f.name === named)) return named;
    return files.length === 1 ? files[0]!.name : undefined;
  }

  private async ensureDir(): Promise<void> {
    const created = await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is filtered by the umask; set it exactly, but only on a directory we created.
    if (created !== undefined) await fs.chmod(this.dir, 0o700);
  }
}

function parseFile(text: string, p: string): KeystoreFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new WalletError('KEYSTORE_CORRUPT', `${p}: not valid JSON`);
  }
  return parseKeystoreFile(json, p);
}

function tempPath(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

async function writeTemp(target: string, content: string): Promise<string> {
  const tmp = tempPath(target);
  const fh = await fs.open(tmp, 'wx', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/**
 * Temp file + atomic publish that never replaces an existing file: link() fails with EEXIST where
 * rename() would silently overwrite a key written concurrently under the same name, losing it.
 */
async function writeNewFile(target: string, content: string, name: string): Promise<void> {
  const tmp = await writeTemp(target, content);
  try {
    await fs.link(tmp, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new WalletError('INVALID_INPUT', `a key named "${name}" already exists`);
    throw e;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Temp file + rename, for files that may be replaced (the default marker). */
async function replaceFile(target: string, content: string): Promise<void> {
  const tmp = await writeTemp(target, content);
  try {
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
