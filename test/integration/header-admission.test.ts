/**
 * Header admission (Chain.acceptHeaders / screenHeader, issue #7) on a real Chain in a temp dir: each
 * refusal reason, that a refused batch leaves nothing behind, the low-work floor, and the header-only cap.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Chain } from '../../node/chain/chain.js';
import { Block, BlockHeader, blockHash } from '../../node/core/block.js';
import { DEV, makeBlock, solve, testParams } from '../helpers/chain-fixtures.js';
import { makeTmpDir } from '../helpers/tmp-dir.js';

const params = testParams();
const G = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function open(maxHeaderOnly?: number): Promise<Chain> {
  const tmp = await makeTmpDir('minichain-headers-');
  const chain = await Chain.open({ dir: tmp.path, params, ...(maxHeaderOnly !== undefined ? { maxHeaderOnly } : {}) });
  cleanups.push(async () => {
    await chain.close();
    await tmp.remove();
  });
  return chain;
}

function branch(from: typeof G, n: number, salt = 0): Block[] {
  const out: Block[] = [];
  let p = from;
  for (let i = 0; i < n; i++) {
    const b = makeBlock(params, p, [], { timestamp: p.timestamp + 1000 + salt, miner: DEV[salt % 8]!.addressHash });
    out.push(b);
    p = { hash: blockHash(b.header), height: b.header.height, timestamp: b.header.timestamp };
  }
  return out;
}

const reason = (v: { ok: boolean; reason?: string }) => (v.ok ? 'ok' : v.reason);

test('each refusal reason; a refused batch keeps nothing', async () => {
  const chain = await open();
  const a = branch(G, 5).map((b) => b.header);
  const hs = (x: BlockHeader[]) => chain.acceptHeaders(x);
  assert.equal(reason(hs([a[1]!, a[2]!])), 'prev-blk-not-found', 'first header does not connect');
  assert.equal(reason(hs([a[0]!, a[0]!])), 'bad-headers-noncontinuous', 'a duplicate is not a chain');
  assert.equal(reason(hs([a[0]!, a[2]!])), 'bad-headers-noncontinuous', 'a gap is not a chain');
  const zeroWork = { ...a[0]!, bits: 0x2100ffff };
  assert.equal(reason(hs([zeroWork])), 'bad-diffbits');
  const harder = solve({ header: { ...a[0]!, bits: 0x1f7fffff }, miner: DEV[0]!.addressHash, reward: 0n, txs: [] }).header;
  assert.equal(reason(hs([harder])), 'bad-blk-target', 'bits other than the retarget rule expects');
  const old = solve({ header: { ...a[0]!, timestamp: params.genesisTimestamp }, miner: DEV[0]!.addressHash, reward: 0n, txs: [] }).header;
  assert.equal(reason(hs([old])), 'time-too-old');
  // A good prefix followed by a bad header: nothing of the batch is kept.
  assert.equal(reason(hs([a[0]!, a[1]!, { ...a[2]!, bits: 0x2100ffff }])), 'bad-diffbits');
  assert.equal(chain.headerOnlyCount, 0);
  const r = hs(a);
  assert.ok(r.ok && r.value.added === 5 && r.value.last.height === 5);
  assert.equal(chain.bestHeader.height, 5);
  assert.equal(chain.height, 0, 'headers alone never move the tip');
  const again = hs(a);
  assert.ok(again.ok && again.value.added === 0, 'known headers are accepted, not added');
});

test('a header chain lighter than the tip by more than the margin is not kept; screenHeader refuses its blocks', async () => {
  const chain = await open();
  for (const b of branch(G, 20)) assert.ok((await chain.acceptBlock(b)).ok);
  const light = branch(G, 10, 3);
  const r = chain.acceptHeaders(light.map((b) => b.header));
  assert.equal(reason(r), 'low-work-headers');
  assert.equal(chain.headerOnlyCount, 0);
  assert.equal(reason(chain.screenHeader(light[0]!.header)), 'low-work-branch');
  const blockVerdict = await chain.acceptBlock(light[0]!);
  assert.equal(reason(blockVerdict), 'low-work-branch');
  assert.equal(chain.hasHeader(blockHash(light[0]!.header)), false);
  // Within the margin (a competitor 6 blocks back, as two miners racing would make): kept.
  const near = branch({ hash: chain.mainHashAt(14)!, height: 14, timestamp: params.genesisTimestamp + 14 * 1000 }, 1, 5);
  assert.equal(reason(chain.acceptHeaders(near.map((b) => b.header))), 'ok');
});

test('the header-only cap: headers beyond it are refused until bodies arrive', async () => {
  const chain = await open(10);
  const a = branch(G, 14);
  assert.equal(reason(chain.acceptHeaders(a.slice(0, 10).map((b) => b.header))), 'ok');
  assert.equal(chain.headerOnlyCount, 10);
  assert.equal(reason(chain.acceptHeaders(a.slice(10).map((b) => b.header))), 'header-cap-reached');
  assert.equal(chain.headerOnlyCount, 10, 'the refused batch left nothing');
  for (const b of a.slice(0, 4)) assert.ok((await chain.acceptBlock(b)).ok);
  assert.equal(chain.headerOnlyCount, 6);
  assert.equal(reason(chain.acceptHeaders(a.slice(10).map((b) => b.header))), 'ok');
});
