/**
 * Verdicts: the result of a validation rule, in the manner of Bitcoin Core's ValidationState.
 * Reasons are stable kebab-case strings shared by logs, RPC errors and tests. Pure.
 */

export type VerdictClass = 'consensus' | 'policy' | 'duplicate' | 'missing-parent' | 'premature';

export type Verdict<T = void> =
  | { ok: true; value: T }
  | { ok: false; class: VerdictClass; reason: string; detail?: string };

export type Rejection = Extract<Verdict<never>, { ok: false }>;

export function ok(): Verdict<void>;
export function ok<T>(value: T): Verdict<T>;
export function ok<T>(value?: T): Verdict<T | undefined> {
  return { ok: true, value };
}

export function reject(cls: VerdictClass, reason: string, detail?: string): Rejection {
  return detail === undefined ? { ok: false, class: cls, reason } : { ok: false, class: cls, reason, detail };
}

/** Ban-score a peer earns for relaying something with this verdict. Only consensus failures cost. */
export function penaltyFor(v: Verdict<unknown>): number {
  if (v.ok) return 0;
  return v.class === 'consensus' ? 100 : 0;
}
