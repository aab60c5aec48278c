import { parseCommandLine, UsageError, type CommandSpec } from '../lib/cli/command-line.js';

/** The benchmarks `npm run bench` knows, in the order it runs them. */
export const benchmarkNames = [
  'propagation',
  'root-rotation',
  'repository',
  'repository-kube',
  'kube-propagation',
  'kube-client',
  'translator-path',
  'hub-durability',
  'image',
  'live-mesh',
] as const;
export type BenchmarkName = (typeof benchmarkNames)[number];

/** What to run and at which size. */
export interface BenchOptions {
  /** Reduced sizes that finish in under a minute, for CI and quick checks. */
  readonly isQuick: boolean;
  readonly benchmarks: readonly BenchmarkName[];
  readonly isHelpRequested: boolean;
}

/** The command line of `npm run bench`, shared by its parser and its `--help`. */
export const benchCommandSpec: CommandSpec = {
  name: 'npm run bench --',
  summary: [
    'Runs the Accord benchmarks on 127.0.0.1 and prints one line per figure:',
    '  BENCH <name> <metric>=<number><unit>',
    `Benchmarks: ${benchmarkNames.join(', ')}. Progress goes to stderr.`,
  ].join('\n'),
  flags: {
    quick: {
      type: 'boolean',
      description: 'Reduced sizes (each benchmark finishes in about a minute).',
    },
    only: {
      type: 'string',
      multiple: true,
      description: `Run only this benchmark (${benchmarkNames.join(' or ')}).`,
      valueName: 'NAME',
    },
  },
};

/** Parses `npm run bench` arguments; an unknown benchmark name is a `UsageError`. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values, positionals, isHelpRequested } = parseCommandLine(benchCommandSpec, argv);
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals.join(' ')}"`);
  const only = Array.isArray(values.only) ? values.only.map(String) : [];
  for (const name of only) {
    if (!isBenchmarkName(name)) {
      throw new UsageError(`--only: unknown benchmark "${name}" (known: ${benchmarkNames.join(', ')})`);
    }
  }
  return {
    isQuick: values.quick === true,
    benchmarks: benchmarkNames.filter((name) => only.length === 0 || only.includes(name)),
    isHelpRequested,
  };
}

function isBenchmarkName(name: string): name is BenchmarkName {
  return (benchmarkNames as readonly string[]).includes(name);
}
