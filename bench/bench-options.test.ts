import { UsageError } from '../lib/cli/command-line.js';
import { benchmarkNames, parseBenchOptions } from './bench-options.js';

describe('parseBenchOptions', () => {
  it.each([
    ['no flags run every benchmark at full size', [], { isQuick: false, benchmarks: [...benchmarkNames] }],
    [
      '--quick runs every benchmark at reduced size',
      ['--quick'],
      { isQuick: true, benchmarks: [...benchmarkNames] },
    ],
    [
      '--only selects one benchmark',
      ['--only', 'propagation'],
      { isQuick: false, benchmarks: ['propagation'] },
    ],
    [
      'repeated --only keeps the run order',
      ['--only', 'repository', '--only', 'propagation', '--quick'],
      { isQuick: true, benchmarks: ['propagation', 'repository'] },
    ],
  ])('%s', (_name, argv, expected) => {
    expect(parseBenchOptions(argv)).toEqual({ ...expected, isHelpRequested: false });
  });

  it.each([
    ['an unknown benchmark', ['--only', 'nope']],
    ['an unknown flag', ['--fast']],
    ['a positional argument', ['propagation']],
  ])('rejects %s as a usage error', (_name, argv) => {
    expect(() => parseBenchOptions(argv)).toThrow(UsageError);
  });

  it('reports --help', () => {
    expect(parseBenchOptions(['--help']).isHelpRequested).toBe(true);
  });
});
