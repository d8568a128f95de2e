/**
 * SHA-256 of exactly 64 bytes, for short ids (compact.ts: sha256(key || txid) over every mempool
 * transaction per compact block). Bit-exact with sha256 of the same 64 bytes (test/unit/compact-blocks
 * checks it against @noble/hashes); about twice as fast, and allocates nothing: the message is one
 * block and the padding block is a constant, so its message schedule (plus the round constants) is
 * computed once at load. Pure, no imports.
 */

const K = Uint32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = Uint32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Extends w[0..15] to the 64-word schedule and adds the round constants: out[i] = K[i] + W[i]. */
function schedule(w: Uint32Array, out: Uint32Array): void {
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15]!;
    const b = w[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  for (let i = 0; i < 64; i++) out[i] = (K[i]! + w[i]!) | 0;
}

/** The 64 rounds over one block (given as K + W) and the feed-forward into `s`. */
function compress(kw: Uint32Array, s: Uint32Array): void {
  let a = s[0]! | 0, b = s[1]! | 0, c = s[2]! | 0, d = s[3]! | 0, e = s[4]! | 0, f = s[5]! | 0, g = s[6]! | 0, h = s[7]! | 0;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + kw[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  s[0] = (s[0]! + a) | 0;
  s[1] = (s[1]! + b) | 0;
  s[2] = (s[2]! + c) | 0;
  s[3] = (s[3]! + d) | 0;
  s[4] = (s[4]! + e) | 0;
  s[5] = (s[5]! + f) | 0;
  s[6] = (s[6]! + g) | 0;
  s[7] = (s[7]! + h) | 0;
}

/** K + W of the padding block of a 64-byte message: 0x80, zeros, bit length 512. */
const PAD_KW = new Uint32Array(64);
{
  const w = new Uint32Array(64);
  w[0] = 0x80000000;
  w[15] = 512;
  schedule(w, PAD_KW);
}

const W = new Uint32Array(64);
const KW = new Uint32Array(64);
const STATE = new Uint32Array(8);

/**
 * SHA-256 of `m` (exactly 64 bytes) as its 8 big-endian state words. The returned array is reused by
 * the next call: read it before hashing again.
 */
export function sha256Of64(m: Uint8Array): Uint32Array {
  if (m.length !== 64) throw new RangeError(`sha256Of64: "message" expected 64 bytes, got ${m.length}`);
  for (let i = 0; i < 16; i++) W[i] = (m[4 * i]! << 24) | (m[4 * i + 1]! << 16) | (m[4 * i + 2]! << 8) | m[4 * i + 3]!;
  schedule(W, KW);
  STATE.set(IV);
  compress(KW, STATE);
  compress(PAD_KW, STATE);
  return STATE;
}
