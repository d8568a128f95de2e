/**
 * EarlyChecks merges the signature jobs of blocks handed over together into one verifier call, keeps at
 * most MAX_EARLY_CALLS calls outstanding, and still gives every block the verdict of its own signatures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EarlyChecks, MAX_EARLY_CALLS } from '../../node/chain/early-checks.js';
import { BatchSignatureVerifier, SignatureJob } from '../../node/chain/sig-check.js';
import { Block, blockHash } from '../../node/core/block.js';
import { toHex } from '../../node/core/bytes.js';
import { checkBlockSanity } from '../../node/core/check-block.js';
import { verifyReference } from '../../node/core/keys.js';
import { SigCache } from '../../node/verify/sig-cache.js';
import { DEV, COIN, makeBlock, makeTx, testParams, ParentRef } from '../helpers/chain-fixtures.js';

const params = testParams();

function blocks(n: number, badAt = -1): Block[] {
  const out: Block[] = [];
  let parent: ParentRef = { hash: params.genesisHash, height: 0, timestamp: params.genesisTimestamp };
  for (let i = 0; i < n; i++) {
    const txs = [0, 1].map((k) => makeTx(params, DEV[k]!, DEV[5]!.addressHash, COIN, BigInt(i)));
    if (i === badAt) {
      txs[1]!.sig = txs[1]!.sig.slice();
      txs[1]!.sig[7]! ^= 1;
    }
    const b = makeBlock(params, parent, txs);
    out.push(b);
    parent = { hash: blockHash(b.header), height: b.header.height, timestamp: b.header.timestamp };
  }
  return out;
}

function gated() {
  const calls: SignatureJob[][] = [];
  const gates: (() => void)[] = [];
  let outstanding = 0;
  let maxOutstanding = 0;
  const verifier: BatchSignatureVerifier = {
    async verifyAll(jobs) {
      calls.push(jobs);
      maxOutstanding = Math.max(maxOutstanding, ++outstanding);
      await new Promise<void>((r) => gates.push(r));
      outstanding--;
      return jobs.map((j) => verifyReference(j.msg, j.sig, j.publicKey));
    },
  };
  return { verifier, calls, gates, max: () => maxOutstanding };
}

const tick = () => new Promise((r) => setImmediate(r));

test('blocks handed over together share one call; each gets its own verdict; good ones are cached', async () => {
  const bs = blocks(5, 2);
  const g = gated();
  const cache = new SigCache();
  const early = new EarlyChecks(g.verifier, cache);
  for (const b of bs) {
    const s = checkBlockSanity(b, params);
    assert.ok(s.ok);
    early.start(toHex(blockHash(b.header)), b, s.value);
  }
  await tick();
  assert.equal(g.calls.length, 1);
  assert.equal(g.calls[0]!.length, 10);
  g.gates.shift()!();
  const verdicts = await Promise.all(bs.map((b) => early.peek(toHex(blockHash(b.header)), b)!.sigs));
  assert.deepEqual(verdicts.map((v) => v?.ok), [true, true, false, true, true]);
  assert.equal(verdicts[2]!.ok ? '' : verdicts[2]!.reason, 'bad-tx-signature');
  assert.equal(cache.size, 8, "the bad block's signatures are not cached, not even its good one");
});

test(`at most ${MAX_EARLY_CALLS} calls outstanding; what arrives meanwhile goes out together`, async () => {
  const bs = blocks(6);
  const g = gated();
  const early = new EarlyChecks(g.verifier, undefined);
  for (const b of bs) {
    const s = checkBlockSanity(b, params);
    assert.ok(s.ok);
    early.start(toHex(blockHash(b.header)), b, s.value);
    await tick(); // one block per turn of the event loop
  }
  assert.equal(g.calls.length, MAX_EARLY_CALLS);
  while (g.gates.length > 0 || g.calls.length < 3) {
    g.gates.shift()?.();
    await tick();
  }
  assert.equal(g.calls.length, 3, `calls: ${g.calls.map((c) => c.length)}`);
  assert.equal(g.calls[2]!.length, 2 * (6 - MAX_EARLY_CALLS));
  assert.equal(g.max(), MAX_EARLY_CALLS);
  g.gates.shift()?.();
  for (const b of bs) assert.equal((await early.peek(toHex(blockHash(b.header)), b)!.sigs)?.ok, true);
});
