import { cpus, release, totalmem, type as osType } from 'node:os';

/** The facts a benchmark figure means nothing without; printed as the header of every run. */
export interface MachineFacts {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly nodeVersion: string;
}

/** Reads the facts of the machine the benchmark runs on; `main.ts` passes `process.version`. */
export function readMachineFacts(nodeVersion: string): MachineFacts {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()}`,
    nodeVersion,
  };
}

/** The header lines (each starting with `#`, so tools that grep `BENCH` lines skip them). */
export function formatMachineFacts(facts: MachineFacts, mode: string, date: Date): string[] {
  return [
    `# accord bench, ${mode} mode, ${date.toISOString()}`,
    `# cpu: ${facts.cpuModel}, ${facts.cores} cores; memory: ${facts.memoryGiB} GiB`,
    `# os: ${facts.os}; node: ${facts.nodeVersion}`,
  ];
}
