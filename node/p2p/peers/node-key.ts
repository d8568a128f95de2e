/**
 * The node's P2P identity: a secp256k1 key kept at `<datadir>/node.key` (64 hex characters and a
 * newline, mode 0600). Created on first start from the OS CSPRNG, reused afterwards so peers and ban
 * lists recognise the node across restarts. Written atomically (temp file, fsync, rename, fsync of the
 * directory) so a crash never leaves a half-written key that would silently change the identity.
 * This key only authenticates P2P handshakes; it never holds funds.
 *
 * Node-only (fs, crypto). Must not import chain, storage, transport or protocol logic.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fromHex, toHex } from '../../core/bytes.js';
import { NodeError, isNodeError } from '../../core/errors.js';
import { isValidPrivateKey, publicKeyOf } from '../../core/keys.js';

export const NODE_KEY_FILE = 'node.key';

export interface NodeKey {
  privateKey: Uint8Array;
  /** 33-byte compressed public key: the nodeId sent in hello. */
  publicKey: Uint8Array;
  /** Hex of publicKey. */
  nodeId: string;
  /** Where the key lives. */
  path: string;
  /** True when this call generated the key. */
  created: boolean;
}

/**
 * Loads `<datadir>/node.key`, creating it (and datadir) on first use. Callers hold the datadir lock,
 * so two processes never race to create it.
 * @throws NodeError CONFIG_ERROR naming the path when the file is unreadable or corrupt, or cannot be written.
 */
export async function loadOrCreateNodeKey(datadir: string): Promise<NodeKey> {
  const path = join(datadir, NODE_KEY_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new NodeError('CONFIG_ERROR', `cannot read node key ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (text !== undefined) return { ...keyFrom(parseNodeKey(text, path)), path, created: false };

  let privateKey: Uint8Array;
  do privateKey = new Uint8Array(randomBytes(32));
  while (!isValidPrivateKey(privateKey));
  try {
    await mkdir(datadir, { recursive: true });
    await writeAtomic(path, toHex(privateKey) + '\n');
  } catch (e) {
    throw new NodeError('CONFIG_ERROR', `cannot write node key ${path}: ${(e as Error).message}`, { cause: e });
  }
  return { ...keyFrom(privateKey), path, created: true };
}

/**
 * The private key in a node.key file's text: exactly 64 hex characters, surrounding whitespace allowed.
 * @throws NodeError CONFIG_ERROR naming `path` and saying how to recover.
 */
export function parseNodeKey(text: string, path: string): Uint8Array {
  const corrupt = (why: string) =>
    new NodeError('CONFIG_ERROR', `node key ${path} is corrupt: ${why}; move it away to generate a new node identity`);
  const hex = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw corrupt('expected 64 hex characters');
  let key: Uint8Array;
  try {
    key = fromHex(hex, 'node key');
  } catch (e) {
    if (isNodeError(e)) throw corrupt(e.message);
    throw e;
  }
  if (!isValidPrivateKey(key)) throw corrupt('not a valid secp256k1 private key');
  return key;
}

function keyFrom(privateKey: Uint8Array): Omit<NodeKey, 'path' | 'created'> {
  const publicKey = publicKeyOf(privateKey);
  return { privateKey, publicKey, nodeId: toHex(publicKey) };
}

async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${toHex(new Uint8Array(randomBytes(4)))}`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(dirname(path));
}

/** fsync the directory so the rename itself survives a crash; not supported everywhere (Windows). */
async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Best effort: the file content is already durable; only the directory entry might be lost.
  } finally {
    await fh?.close();
  }
}
