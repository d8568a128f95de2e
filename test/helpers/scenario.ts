/** Runs a built-in scenario in-process at a short scale on a given port block; returns the report and its text. */
import { loadGenesis } from '../../node/config.js';
import { bundledGenesisPath } from '../../node/paths.js';
import { formatReport } from '../../node/scenario/report.js';
import { RunReport, ScenarioRun } from '../../node/scenario/runner.js';
import { loadScenario } from '../../node/scenario/scenario.js';
import { makeTmpDir } from './tmp-dir.js';

/** Step durations in npm test: 40 % of the built-in ones (invariant bounds unchanged). */
export const SHORT_SCALE = 0.4;

export async function runShortScenario(name: string, basePort: number): Promise<{ pass: boolean; report: RunReport; text: string }> {
  const tmp = await makeTmpDir(`minichain-scenario-${name}-`);
  try {
    const run = new ScenarioRun(await loadScenario(name), await loadGenesis(bundledGenesisPath()), { dir: tmp.path, basePort, seed: 1, scale: SHORT_SCALE, keep: true });
    const report = await run.run();
    return { pass: report.pass, report, text: formatReport(report) };
  } finally {
    await tmp.remove();
  }
}
