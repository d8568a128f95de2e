/**
 * Child process for the crash test: imports blocks into a datadir as fast as it can, with transfers
 * and periodic two-block reorgs, until it is killed. Prints "ready" once open and "h <height>" as it goes.
 */
import { Chain } from '../../node/chain/chain.js';
import { blockHash } from '../../node/core/block.js';
import { DEV, COIN, makeBlock, makeTx, testParams } from './chain-fixtures.js';

const dir = process.argv[2]!;
const params = testParams();
const chain = await Chain.open({ dir, params });
process.stdout.write('ready\n');

for (let i = 0; ; i++) {
  const tip = chain.tip;
  if (i % 5 === 4 && tip.height >= 2) {
    // A heavier two-block branch from the tip's parent: forces a disconnect with undo, then two connects.
    const tipBlock = (await chain.getBlock(tip.hash))!;
    const parentHash = tipBlock.header.prevHash;
    const parent = (await chain.getBlock(parentHash))!;
    const f1 = makeBlock(params, { hash: parentHash, height: parent.header.height, timestamp: tipBlock.header.timestamp }, [], { miner: DEV[2]!.addressHash });
    const f2 = makeBlock(params, { hash: blockHash(f1.header), height: f1.header.height, timestamp: f1.header.timestamp }, [], { miner: DEV[3]!.addressHash });
    await chain.acceptBlock(f1);
    await chain.acceptBlock(f2);
  } else {
    const txs = [];
    for (let s = 0; s < 3; s++) {
      const from = DEV[(i + s) % 5]!;
      const acct = await chain.getAccount(from.addressHash);
      if (acct.balance > 2n * COIN) txs.push(makeTx(params, from, DEV[(i + s + 1) % 8]!.addressHash, COIN + BigInt(i), acct.nonce, 1000n + BigInt(s)));
    }
    const r = await chain.acceptBlock(makeBlock(params, { hash: tip.hash, height: tip.height, timestamp: tip.timestamp }, txs));
    if (!r.ok) throw new Error(`child produced an invalid block: ${r.reason}`);
  }
  process.stdout.write(`h ${chain.height}\n`);
}
