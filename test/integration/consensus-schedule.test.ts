/**
 * Issue #7 consensus acceptance, on a real Chain (LevelDB in a temp dir):
 *   - a scripted time-warp miner is refused (overlapping retarget windows + the BIP-94-style guard);
 *   - a payout address near the balance cap never halts mining (the supply bound makes overflow
 *     impossible) and the supply at every height equals the halving schedule.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Chain } from '../../node/chain/chain.js';
import { Block, blockHash } from '../../node/core/block.js';
import { MAX_MONEY } from '../../node/core/amount.js';
import { encodeAddress } from '../../node/core/address.js';
import { isNodeError } from '../../node/core/errors.js';
import { medianTime } from '../../node/core/check-block.js';
import { MAX_HALVINGS, subsidyAt, subsidyThrough, totalSubsidy } from '../../node/core/params.js';
import { compactToTarget } from '../../node/core/pow.js';
import { assembleBlock } from '../../node/miner/template.js';
import { COIN, DEV, makeTx, solve, testGenesisJson, testParams } from '../helpers/chain-fixtures.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function open(params: ReturnType<typeof testParams>): Promise<Chain> {
  const tmp = await makeTmpDir('minichain-consensus-');
  const chain = await Chain.open({ dir: tmp.path, params, clock: () => params.genesisTimestamp + 365 * 24 * 3600_000 });
  cleanups.push(async () => {
    await chain.close();
    await tmp.remove();
  });
  return chain;
}

/** The block a miner builds on the tip (the template's context), with the given timestamp and txs. */
function template(chain: Chain, timestamp: number, miner = DEV[7]!.addressHash, txs: Block['txs'] = []): Block {
  const ctx = chain.nextBlockContext();
  return solve(assembleBlock(chain.params, { parentHash: ctx.parentHash, parentHeight: ctx.parentHeight, bits: ctx.bits, timestamp, miner, txs }));
}

test('a scripted time-warp miner is refused; the target never eases while median time past stands still', async () => {
  const params = testParams({ retargetInterval: 10 });
  const chain = await open(params);
  const T = params.targetBlockTimeMs;
  // Honest-but-fast start: blocks 1 ms apart raise the difficulty (x4 per window, clamped), so there is
  // room to ease it again.
  let ts = params.genesisTimestamp;
  for (let i = 0; i < 20; i++) assert.ok((await chain.acceptBlock(template(chain, ++ts))).ok);
  const startTarget = compactToTarget(chain.nextBlockContext().bits);
  assert.ok(startTarget < compactToTarget(params.genesisBits) / 8n, 'the fast start raised the difficulty');
  const startTime = chain.tip.timestamp;
  // The classic warp (Bitcoin before BIP-94): every block at median time past + 1, except the last of
  // each window, stamped 4 windows later, so the window "took" 4x as long; the next window then starts
  // back at median time past. 80 blocks of this used to ease the target 4x per window (x256).
  let refused = 0;
  const reasons = new Set<string>();
  for (let h = 21; h <= 100; h++) {
    const lastOfWindow = (h + 1) % params.retargetInterval === 0;
    // Median time past + 1 is all the old rules asked of any block, the first of a window included.
    const stamp = lastOfWindow ? mtpOf(chain) + 1 + 4 * params.retargetInterval * T : mtpOf(chain) + 1;
    const r = await chain.acceptBlock(template(chain, stamp));
    if (!r.ok) {
      refused++;
      reasons.add(r.reason);
      // A refused attacker has to play by the rules to go on: stamp the block at the guard's floor.
      assert.ok((await chain.acceptBlock(template(chain, chain.nextBlockContext().minTimestamp))).ok);
    }
  }
  assert.ok(refused >= 7, `only ${refused} warp blocks refused`);
  assert.deepEqual([...reasons], ['time-timewarp-attack']);
  // Forced to keep its timestamps, the attacker gained nothing: the target is no easier than at the start
  // by more than the real time it had to claim, and never by the x256 of the old rule.
  const endTarget = compactToTarget(chain.nextBlockContext().bits);
  assert.ok(endTarget <= startTarget * 16n, `target eased ${endTarget / startTarget}x`);
  console.log(`time warp: ${refused} blocks refused; target x${Number((endTarget * 1000n) / startTarget) / 1000} while the tip's time moved ${chain.tip.timestamp - startTime} ms`);
  assert.ok(endTarget <= startTarget || chain.tip.timestamp - startTime >= 4 * params.retargetInterval * T, 'eased without claiming the time');
});

/** Median timestamp of the tip and its 10 ancestors (BIP-113), from the block index. */
function mtpOf(chain: Chain): number {
  const times: number[] = [];
  for (let n = chain.getNode(chain.tip.hash); n && times.length < 11; n = n.parent) times.push(n.header.timestamp);
  return medianTime(times);
}

test('a payout address near the cap never halts mining; the supply at every height equals the schedule', { timeout: 120_000 }, async () => {
  const halvingInterval = 4;
  const subsidy = 50n * COIN;
  const schedule = totalSubsidy({ subsidy, halvingInterval });
  const others = 1000n * COIN;
  // The miner's address starts as close to MAX_MONEY as the schedule allows: every subsidy ever paid fits.
  const minerStart = MAX_MONEY - others - schedule;
  const json = testGenesisJson({
    halvingInterval,
    allocations: [
      { address: DEV[0]!.address, balance: others.toString() },
      { address: encodeAddress(DEV[7]!.addressHash), balance: minerStart.toString() },
    ],
  });
  const params = testParams(json);
  // One base unit more and the definition is refused: the schedule could push a balance over the cap.
  assert.throws(
    () => testParams({ ...json, allocations: [...(json.allocations as object[]), { address: DEV[1]!.address, balance: '1' }] }),
    (e) => isNodeError(e, 'CONFIG_ERROR') && /subsidy schedule exceed/.test((e as Error).message),
  );
  const chain = await open(params);
  const allocated = others + minerStart;
  const heights = MAX_HALVINGS * halvingInterval + 6;
  let nonce = 0n;
  for (let h = 1; h <= heights; h++) {
    // Some blocks carry a fee-paying transfer: fees move money, they never create it.
    const txs = h % 7 === 0 ? [makeTx(params, DEV[0]!, DEV[2]!.addressHash, COIN, nonce++, 5000n)] : [];
    const b = template(chain, params.genesisTimestamp + h * 1000, DEV[7]!.addressHash, txs);
    assert.equal(b.reward, subsidyAt(params, h) + (txs.length > 0 ? 5000n : 0n));
    const r = await chain.acceptBlock(b);
    assert.ok(r.ok, `height ${h}: the template's block was refused: ${r.ok ? '' : r.reason}`);
    if (h % 16 === 0 || h === heights || h < 12) {
      let supply = 0n;
      for (const a of (await chain.allAccounts()).values()) supply += a.balance;
      assert.equal(supply, allocated + subsidyThrough(params, h), `supply at height ${h}`);
    }
  }
  assert.equal(chain.height, heights);
  assert.equal(subsidyAt(params, heights), 0n, 'the subsidy has ended');
  const miner = await chain.getAccount(DEV[7]!.addressHash);
  assert.ok(miner.balance <= MAX_MONEY);
  assert.equal(blockHash(params.genesis.header).length, 32);
});
