/**
 * Opens the ledger of a chain: initialises a new datadir with the genesis block and allocations, or
 * checks that a stored one belongs to this genesis and schema, then rebuilds the block index from the
 * stored entries and resumes at the stored tip without re-validating.
 * Imports core, storage and sibling chain modules only.
 */
import { encodeBlock } from '../core/block.js';
import { fromHex, toHex } from '../core/bytes.js';
import { NodeError } from '../core/errors.js';
import { ChainParams } from '../core/params.js';
import { LedgerStore } from '../storage/ledger-store.js';
import { BlockStatus } from '../storage/ledger-encoding.js';
import { SCHEMA_VERSION } from '../storage/layout.js';
import { BlockIndex } from './block-index.js';

/**
 * The store of `dir` and its block index, its main chain set up to the stored tip. Closes the store
 * when it throws.
 * @throws NodeError STORAGE_WRONG_GENESIS, STORAGE_LOCKED, STORAGE_CORRUPT
 */
export async function openLedger(dir: string, params: ChainParams): Promise<{ store: LedgerStore; index: BlockIndex }> {
  const store = await LedgerStore.open(dir);
  try {
    const stored = await store.getGenesisHash();
    if (!stored) {
      const g = params.genesis;
      await store.initGenesis(params.genesisHash, encodeBlock(g), { header: g.header, work: 0n, status: BlockStatus.Valid }, params.allocations);
    } else if (toHex(stored) !== toHex(params.genesisHash)) {
      throw new NodeError(
        'STORAGE_WRONG_GENESIS',
        `datadir ${dir} belongs to another chain (genesis ${toHex(stored).slice(0, 16)}…, this genesis.json is ${toHex(params.genesisHash).slice(0, 16)}…); use another --datadir`,
      );
    }
    const schema = await store.getSchemaVersion();
    if (schema !== SCHEMA_VERSION) throw new NodeError('STORAGE_CORRUPT', `datadir ${dir} has schema ${schema}, expected ${SCHEMA_VERSION}`);
    const index = new BlockIndex(params);
    const entries = [...(await store.loadIndex())].sort((a, b) => a[1].header.height - b[1].header.height);
    for (const [hex, e] of entries) index.add(fromHex(hex), e.header, e.status, e.work);
    index.linkAll();
    const tipHash = await store.getTipHash();
    const tipNode = tipHash && index.get(toHex(tipHash));
    if (!tipNode) throw new NodeError('STORAGE_CORRUPT', `datadir ${dir}: tip block is missing from the index`);
    index.setMainFrom(tipNode);
    if (index.main[0]?.hex !== toHex(params.genesisHash)) throw new NodeError('STORAGE_CORRUPT', `datadir ${dir}: main chain does not reach genesis`);
    return { store, index };
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
}
