/**
 * Scenario report: a human table (one line per invariant, PASS/FAIL, then the figures) and the JSON
 * form written by --json. A failing invariant lists each failure with its node and block.
 */
import { CheckResult } from './checks.js';
import type { RunReport } from './runner.js';

export interface InvariantSummary {
  name: string;
  pass: boolean;
  checks: number;
  detail: string;
  failures: CheckResult[];
}

export function summarize(results: CheckResult[]): InvariantSummary[] {
  const byName = new Map<string, CheckResult[]>();
  for (const r of results) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  return [...byName].map(([name, rs]) => {
    const failures = rs.filter((r) => !r.pass);
    const detail = failures.length > 0 ? failures[0]!.detail : rs.length === 1 ? rs[0]!.detail : `${rs.length} checks; first: ${rs[0]!.detail}`;
    return { name, pass: failures.length === 0, checks: rs.length, detail, failures };
  });
}

export function formatReport(r: RunReport): string {
  const lines: string[] = [];
  lines.push(`scenario ${r.scenario}   seed ${r.seed}   nodes ${r.nodes}   ${(r.durationMs / 1000).toFixed(1)} s`);
  lines.push('');
  const inv = summarize(r.results);
  const w = Math.max(10, ...inv.map((i) => i.name.length));
  lines.push(`${'invariant'.padEnd(w)}  result  detail`);
  for (const i of inv) {
    lines.push(`${i.name.padEnd(w)}  ${i.pass ? 'PASS' : 'FAIL'}    ${i.detail}`);
    for (const f of i.failures.slice(1, 6)) lines.push(`${''.padEnd(w)}          ${f.detail}`);
    if (i.failures.length > 6) lines.push(`${''.padEnd(w)}          … ${i.failures.length - 6} more`);
  }
  const f = r.figures;
  if (f && f.blocks !== undefined) {
    const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);
    lines.push('');
    lines.push('figures');
    lines.push(`  blocks mined ${f.blocks}, final height ${f.height}`);
    lines.push(`  convergence (converge steps, mining paused): ${f.convergenceMs.count} measured, slowest ${ms(f.convergenceMs.max)}`);
    lines.push(`  reorgs ${f.reorgs.count} (all nodes), deepest ${f.reorgs.maxDepth} blocks`);
    lines.push(`  block propagation p50 ${ms(f.blockPropagationMs.p50)}, p99 ${ms(f.blockPropagationMs.p99)} (${f.blockPropagationMs.samples} blocks)`);
    lines.push(`  tx propagation p50 ${ms(f.txPropagationMs.p50)}, p99 ${ms(f.txPropagationMs.p99)} (${f.txPropagationMs.samples} txs)`);
    const rej = Object.entries(f.txRejected).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  txs accepted ${f.txAccepted}, confirmed ${f.txConfirmed} (${f.confirmedTxPerSec} tx/s under load)${rej ? `; refused at submission: ${rej}` : ''}`);
    const o = f.txOutcomes;
    const removed = Object.entries(o.removed).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  tx outcomes: confirmed ${o.confirmed}, nonce taken by another tx ${o.conflicted}, removed ${removed || '0'}, lost with a killed node ${o.lostWithCrashedNode}, behind a lost nonce ${o.behindLostNonce}, unaccounted ${o.unaccounted}`);
    lines.push(`  max RSS ${f.maxRssMb} MiB`);
  }
  lines.push('');
  lines.push(r.pass ? `PASS ${r.scenario}` : `FAIL ${r.scenario}: ${inv.filter((i) => !i.pass).map((i) => i.name).join(', ')} (node data kept in ${r.dir})`);
  return lines.join('\n');
}

export function reportJson(r: RunReport): object {
  return { scenario: r.scenario, seed: r.seed, nodes: r.nodes, pass: r.pass, durationMs: r.durationMs, invariants: summarize(r.results), figures: r.figures, dir: r.pass ? undefined : r.dir };
}
