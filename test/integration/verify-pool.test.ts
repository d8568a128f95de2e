/**
 * VerifyPool with real worker threads: verdicts land at the right positions, small batches stay
 * inline, a dying worker rejects its call and is replaced, the queue is bounded, and the pool never
 * keeps a process alive (checked in child processes, where a leaked handle shows as a hang).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { sha256 } from '@noble/hashes/sha2.js';
import { CURVE_N, bytesToBigInt, publicKeyOf, sign } from '../../node/core/keys.js';
import { isNodeError } from '../../node/core/errors.js';
import { VerifyJob, VerifyPool } from '../../node/verify/verify-pool.js';

const secrets = Array.from({ length: 16 }, (_, i) => sha256(new TextEncoder().encode(`pool-key-${i}`)));
const keys = secrets.map((sk) => publicKeyOf(sk));

function validJob(i: number, msgLen = 32): VerifyJob {
  const msg = sha256(new TextEncoder().encode(`pool-msg-${i}`)).slice(0, msgLen);
  const full = msgLen > 32 ? new Uint8Array(msgLen).fill(i & 0xff) : msg;
  return { msg: full, sig: sign(full, secrets[i % secrets.length]!), publicKey: keys[i % keys.length]! };
}

/** Each breakage at a fixed position (those below n); every other job is valid. */
function mixedBatch(n: number): { jobs: VerifyJob[]; expected: boolean[] } {
  const jobs = Array.from({ length: n }, (_, i) => validJob(i));
  const expected = jobs.map(() => true);
  const breakAt = (i: number, edit: (j: VerifyJob) => VerifyJob) => {
    if (i >= n) return;
    jobs[i] = edit(jobs[i]!);
    expected[i] = false;
  };
  const flip = (b: Uint8Array, at: number) => {
    const c = b.slice();
    c[at]! ^= 1;
    return c;
  };
  breakAt(0, (j) => ({ ...j, msg: flip(j.msg, 0) }));
  breakAt(7, (j) => ({ ...j, sig: flip(j.sig, 10) }));
  breakAt(123, (j) => ({ ...j, sig: flip(j.sig, 40) }));
  breakAt(249, (j) => ({ ...j, publicKey: keys[250 % keys.length]! })); // job 249 was signed by key 249 % 16
  breakAt(250, (j) => {
    const s = CURVE_N - bytesToBigInt(j.sig.subarray(32)); // the high-s twin
    const sig = j.sig.slice();
    for (let k = 63, v = s; k >= 32; k--, v >>= 8n) sig[k] = Number(v & 0xffn);
    return { ...j, sig };
  });
  breakAt(300, (j) => ({ ...j, publicKey: Uint8Array.from([0x05, ...j.publicKey.subarray(1)]) }));
  breakAt(301, (j) => ({ ...j, sig: j.sig.subarray(0, 63) })); // wrong length: never packed
  breakAt(n - 1, (j) => ({ ...j, sig: new Uint8Array(64) }));
  // A valid signature over a message that is not 32 bytes: verified outside the fixed record, still true.
  if (n > 42) jobs[42] = validJob(42, 100);
  return { jobs, expected };
}

const pools: VerifyPool[] = [];
function makePool(opts?: Parameters<typeof VerifyPool.create>[0]): VerifyPool {
  const pool = VerifyPool.create(opts);
  pools.push(pool);
  return pool;
}
after(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

/**
 * A stand-in worker speaking the pool's wire format: answers every job true, but exits when the
 * first byte of a chunk is 0xee and throws (uncaught) when it is 0xdd.
 */
const STUB_WORKER = new URL(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { parentPort } from 'node:worker_threads';
      parentPort.on('message', (req) => {
        const first = new Uint8Array(req.buf)[0];
        if (first === 0xee) process.exit(3);
        if (first === 0xdd) throw new Error('stub worker failure');
        const results = new Uint8Array(req.count).fill(1);
        parentPort.postMessage({ id: req.id, results: results.buffer }, [results.buffer]);
      });`),
);

function markedBatch(n: number, first: number): VerifyJob[] {
  const jobs = Array.from({ length: n }, () => ({ msg: new Uint8Array(32), sig: new Uint8Array(64), publicKey: new Uint8Array(33) }));
  jobs[0]!.msg = new Uint8Array(32).fill(first);
  return jobs;
}

test('a 500-job batch on two workers returns false exactly at the broken positions', async () => {
  const pool = makePool({ threads: 2 });
  const { jobs, expected } = mixedBatch(500);
  const got = await pool.verifyAll(jobs);
  assert.equal(got.length, 500);
  const falses = got.flatMap((v, i) => (v ? [] : [i]));
  assert.deepEqual(falses, expected.flatMap((v, i) => (v ? [] : [i])));
  assert.deepEqual(falses, [0, 7, 123, 249, 250, 300, 301, 499]);
});

test('the empty batch resolves to an empty array', async () => {
  const pool = makePool();
  assert.deepEqual(await pool.verifyAll([]), []);
});

test('a small batch is verified inline, without touching the workers', async () => {
  // Every worker of this pool would die on any message; a correct inline answer proves none was used.
  const pool = makePool({ threads: 1, workerUrl: STUB_WORKER, inlineBelow: 32 });
  const { jobs } = mixedBatch(10);
  jobs[3] = { ...jobs[3]!, msg: new Uint8Array(32).fill(0xee) }; // also invalidates job 3
  assert.deepEqual(await pool.verifyAll(jobs), [false, true, true, false, true, true, true, false, true, false]);
});

test('concurrent calls are queued and each gets its own verdicts', async () => {
  const pool = makePool({ threads: 2, inlineBelow: 4 });
  const batches = [40, 64, 17].map((n) => mixedBatch(n));
  const got = await Promise.all(batches.map((b) => pool.verifyAll(b.jobs)));
  got.forEach((g, i) => assert.deepEqual(g, batches[i]!.expected));
});

test('the queue is bounded: a call beyond maxQueued rejects with ABORTED', async () => {
  const pool = makePool({ threads: 2, inlineBelow: 0, maxQueued: 1 });
  const { jobs, expected } = mixedBatch(40);
  const running = pool.verifyAll(jobs); // dispatched at once
  const queued = pool.verifyAll(jobs); // waits
  await assert.rejects(pool.verifyAll(jobs), (e: unknown) => isNodeError(e, 'ABORTED'));
  assert.deepEqual(await running, expected);
  assert.deepEqual(await queued, expected);
});

for (const [how, marker] of [
  ['exits', 0xee],
  ['throws', 0xdd],
] as const) {
  test(`a worker that ${how} mid-batch rejects the call with INTERNAL and is replaced`, async () => {
    const pool = makePool({ threads: 2, inlineBelow: 0, workerUrl: STUB_WORKER });
    await assert.rejects(pool.verifyAll(markedBatch(100, marker)), (e: unknown) => isNodeError(e, 'INTERNAL'));
    // The replacement serves the next calls (the stub answers true for every job).
    assert.deepEqual(await pool.verifyAll(markedBatch(100, 0)), new Array(100).fill(true));
    await assert.rejects(pool.verifyAll(markedBatch(100, marker)), (e: unknown) => isNodeError(e, 'INTERNAL'));
    assert.deepEqual(await pool.verifyAll(markedBatch(6, 0)), new Array(6).fill(true));
  });
}

test('close() aborts waiting calls, refuses new ones, and is idempotent', async () => {
  const pool = VerifyPool.create({ threads: 1, inlineBelow: 0 });
  const { jobs } = mixedBatch(40);
  const running = assert.rejects(pool.verifyAll(jobs), (e: unknown) => isNodeError(e, 'ABORTED'));
  const queued = assert.rejects(pool.verifyAll(jobs), (e: unknown) => isNodeError(e, 'ABORTED'));
  await pool.close();
  await running;
  await queued;
  await assert.rejects(pool.verifyAll(jobs), (e: unknown) => isNodeError(e, 'ABORTED'));
  await pool.close();
});

test('create() rejects bad options', () => {
  for (const opts of [{ threads: 0 }, { threads: 1.5 }, { inlineBelow: -1 }, { maxQueued: -1 }])
    assert.throws(() => VerifyPool.create(opts), (e: unknown) => isNodeError(e, 'INVALID_ARGUMENT'), JSON.stringify(opts));
});

/** Runs an ES module in a fresh node process; resolves with its exit code and output, or fails on a hang. */
function runChild(source: string, timeoutMs = 20_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${timeoutMs} ms (a handle kept it alive): ${out}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

const childPrelude = `
  const { VerifyPool } = await import(${JSON.stringify(new URL('../../node/verify/verify-pool.js', import.meta.url).href)});
  const { publicKeyOf, sign } = await import(${JSON.stringify(new URL('../../node/core/keys.js', import.meta.url).href)});
  const sk = new Uint8Array(32).fill(7), publicKey = publicKeyOf(sk);
  const jobs = Array.from({ length: 64 }, (_, i) => { const msg = new Uint8Array(32).fill(i); return { msg, sig: sign(msg, sk), publicKey }; });
  const pool = VerifyPool.create({ threads: 2 });
  const got = await pool.verifyAll(jobs);
  if (got.length !== 64 || !got.every((v) => v)) { console.log('bad verdicts'); process.exit(2); }
`;

test('after close() no handle is left: the process exits by itself', async () => {
  const { code, out } = await runChild(childPrelude + `await pool.close(); console.log('closed');`);
  assert.equal(code, 0, out);
  assert.match(out, /closed/);
});

test('idle workers are unref()ed: a process that never closes the pool still exits', async () => {
  const { code, out } = await runChild(childPrelude + `console.log('left open');`);
  assert.equal(code, 0, out);
  assert.match(out, /left open/);
});
