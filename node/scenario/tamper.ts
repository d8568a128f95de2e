/**
 * A deliberately broken node, for proving the invariant checks can fail: adds base units to one
 * account in a stopped node's ledger, outside any block (money from nowhere, as a storage bug or a
 * double-spend that slipped through would create). Opens LevelDB directly on purpose: the node's own
 * code (storage/ledger-store.ts) offers no way to do this, and must not.
 */
import { Level } from 'level';
import { join } from 'node:path';
import { accountKey } from '../storage/layout.js';
import { decodeAccount, encodeAccount } from '../storage/ledger-encoding.js';

/** @throws Error when the datadir is locked (node still running) or unreadable */
export async function tamperBalance(datadir: string, address: Uint8Array, add: bigint): Promise<{ before: bigint; after: bigint }> {
  const db = new Level<Uint8Array, Uint8Array>(join(datadir, 'chain'), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    const key = accountKey(address);
    const raw = await db.get(key);
    const acct = raw ? decodeAccount(raw) : { balance: 0n, nonce: 0n };
    const after = acct.balance + add;
    await db.put(key, encodeAccount({ balance: after, nonce: acct.nonce }));
    return { before: acct.balance, after };
  } finally {
    await db.close();
  }
}
