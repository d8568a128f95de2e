/**
 * CPU time and resident memory of a process (or one of its threads), read from Linux /proc, for the
 * benchmarks that run node processes (tx-bench, compact-bench).
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ (getconf CLK_TCK), the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100;

/** User + system CPU in ms of a process (all its threads) or of one thread `tid`; NaN where /proc has none. */
export function cpuMs(pid: number | undefined, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself hold spaces.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Resident set size in MiB (VmRSS), NaN where /proc has none. */
export function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}
