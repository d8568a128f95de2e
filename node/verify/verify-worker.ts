/**
 * Worker-thread entry of VerifyPool: unpacks one chunk of fixed-size records (layout in verify-pool.ts),
 * verifies each with the fast verifier and answers with one verdict byte per record, transferred.
 * A malformed request is a bug in the pool, so it throws: the worker dies and the pool rejects the
 * call with INTERNAL and replaces it, rather than answering with made-up verdicts.
 * Runs only as a worker; must not import chain, storage or p2p.
 */
import { parentPort } from 'node:worker_threads';
import { NodeError } from '../core/errors.js';
import { verifyActive } from './fast-verifier.js';
import { JOB_BYTES, JOB_KEY_OFFSET, JOB_MSG_OFFSET, JOB_SIG_OFFSET, VerifyReply, VerifyRequest } from './verify-pool.js';

function verifyChunk(req: VerifyRequest): VerifyReply {
  if (!(req.buf instanceof ArrayBuffer) || !Number.isInteger(req.count) || req.buf.byteLength !== req.count * JOB_BYTES)
    throw new NodeError('INTERNAL', `verify request ${req.id}: expected ${req.count} records of ${JOB_BYTES} bytes`);
  const bytes = new Uint8Array(req.buf);
  const verdicts = new Uint8Array(req.count);
  for (let k = 0; k < req.count; k++) {
    const at = k * JOB_BYTES;
    const msg = bytes.subarray(at + JOB_MSG_OFFSET, at + JOB_SIG_OFFSET);
    const sig = bytes.subarray(at + JOB_SIG_OFFSET, at + JOB_KEY_OFFSET);
    const key = bytes.subarray(at + JOB_KEY_OFFSET, at + JOB_BYTES);
    verdicts[k] = verifyActive(msg, sig, key) ? 1 : 0;
  }
  return { id: req.id, results: verdicts.buffer };
}

const port = parentPort;
if (port === null) throw new NodeError('INTERNAL', 'verify-worker.js must run in a worker thread');
port.on('message', (req: VerifyRequest) => {
  const reply = verifyChunk(req);
  port.postMessage(reply, [reply.results]);
});
