/**
 * PeerStore: persistence of the address book in its own LevelDB at `<datadir>/peers` (see peer-layout.ts
 * for keys and values). Separate from the chain database so that corruption or a lock here never touches
 * the ledger, and a damaged record only costs that one address: `loadAll` skips, counts and deletes it.
 * The only peer module that imports `level`; knows nothing of the address book's policy.
 */
import { join } from 'node:path';
import { Level } from 'level';
import { NodeError } from '../core/errors.js';
import {
  type AddrEntry,
  BAN_PREFIX,
  type BanRecord,
  PEER_PREFIX,
  banDbKey,
  decodeAddrEntry,
  decodeBanRecord,
  encodeAddrEntry,
  encodeBanRecord,
  keySuffix,
  peerDbKey,
  peerKey,
} from './peer-layout.js';

type Db = Level<Uint8Array, Uint8Array>;
type BatchOp = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

/** Where the peer database lives inside a data directory. */
export function peerDbPath(datadir: string): string {
  return join(datadir, 'peers');
}

export interface PeerLoad {
  entries: AddrEntry[];
  bans: BanRecord[];
  /** Records that could not be decoded; they were deleted. */
  skipped: number;
}

/** A set of writes applied in one atomic batch. */
export interface PeerWrites {
  upserts?: readonly AddrEntry[];
  removals?: readonly string[];
  bans?: readonly BanRecord[];
  unbans?: readonly string[];
}

export class PeerStore {
  private constructor(private readonly db: Db) {}

  /**
   * Opens (creating if missing) the peer database at `path`, e.g. `peerDbPath(datadir)`.
   * @throws NodeError STORAGE_LOCKED when another process holds it, STORAGE_CORRUPT on any other open failure.
   */
  static async open(path: string): Promise<PeerStore> {
    const db: Db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      if (cause?.code === 'LEVEL_LOCKED') throw new NodeError('STORAGE_LOCKED', `peer database ${path} is locked by another process`, { cause: e });
      throw new NodeError('STORAGE_CORRUPT', `cannot open peer database ${path}`, { cause: e });
    }
    return new PeerStore(db);
  }

  /**
   * Reads every entry and ban. An undecodable record (bad value, bad key, unknown version) is skipped,
   * counted and deleted; it never stops start-up.
   */
  async loadAll(): Promise<PeerLoad> {
    const entries: AddrEntry[] = [];
    const bans: BanRecord[] = [];
    const damaged: Uint8Array[] = [];
    for await (const [dbKey, value] of this.db.iterator()) {
      try {
        if (dbKey[0] === PEER_PREFIX) entries.push(decodeAddrEntry(value, keySuffix(dbKey)));
        else if (dbKey[0] === BAN_PREFIX) bans.push(decodeBanRecord(value, keySuffix(dbKey)));
        else throw new NodeError('DECODE_ERROR', `unknown peer db key prefix ${dbKey[0]}`);
      } catch (e) {
        if (!(e instanceof NodeError && e.code === 'DECODE_ERROR')) throw e;
        damaged.push(dbKey);
      }
    }
    if (damaged.length > 0) await this.db.batch(damaged.map((key) => ({ type: 'del' as const, key })));
    return { entries, bans, skipped: damaged.length };
  }

  async save(entry: AddrEntry): Promise<void> {
    await this.db.put(peerDbKey(peerKey(entry)), encodeAddrEntry(entry));
  }

  /** All entries in one atomic batch. */
  async saveMany(entries: readonly AddrEntry[]): Promise<void> {
    await this.apply({ upserts: entries });
  }

  async remove(key: string): Promise<void> {
    await this.db.del(peerDbKey(key));
  }

  async saveBan(ban: BanRecord): Promise<void> {
    await this.db.put(banDbKey(ban.key), encodeBanRecord(ban));
  }

  async removeBan(key: string): Promise<void> {
    await this.db.del(banDbKey(key));
  }

  /** Entry and ban upserts and deletions in one atomic batch (an AddrBookChanges fits as is). */
  async apply(w: PeerWrites): Promise<void> {
    const ops: BatchOp[] = [];
    for (const e of w.upserts ?? []) ops.push({ type: 'put', key: peerDbKey(peerKey(e)), value: encodeAddrEntry(e) });
    for (const k of w.removals ?? []) ops.push({ type: 'del', key: peerDbKey(k) });
    for (const b of w.bans ?? []) ops.push({ type: 'put', key: banDbKey(b.key), value: encodeBanRecord(b) });
    for (const k of w.unbans ?? []) ops.push({ type: 'del', key: banDbKey(k) });
    if (ops.length > 0) await this.db.batch(ops);
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
