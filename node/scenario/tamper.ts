/**
 * A deliberately broken node, for proving the invariant checks can fail: changes one account in a
 * stopped node's ledger outside any block (money from nowhere, or a nonce rolled back so the node
 * accepts a double spend), as a storage bug would. Opens LevelDB directly on purpose: the node's own
 * code (storage/ledger-store.ts) offers no way to do this, and must not.
 */
import { Level } from 'level';
import { join } from 'node:path';
import { accountKey } from '../storage/layout.js';
import { decodeAccount, encodeAccount } from '../storage/ledger-encoding.js';

/**
 * Adds `add` base units to the account and, when `nonce` is given, rolls its nonce to that value (so the
 * node will accept and mine a second transaction with a nonce already confirmed: a double spend).
 * @throws Error when the datadir is locked (node still running) or unreadable
 */
export async function tamperAccount(datadir: string, address: Uint8Array, add: bigint, nonce?: bigint): Promise<{ before: { balance: bigint; nonce: bigint }; after: { balance: bigint; nonce: bigint } }> {
  const db = new Level<Uint8Array, Uint8Array>(join(datadir, 'chain'), { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    const key = accountKey(address);
    const raw = await db.get(key);
    const acct = raw ? decodeAccount(raw) : { balance: 0n, nonce: 0n };
    const after = { balance: acct.balance + add, nonce: nonce ?? acct.nonce };
    await db.put(key, encodeAccount(after));
    return { before: acct, after };
  } finally {
    await db.close();
  }
}
