import { formatHelp, integerFlag, parseCommandLine, UsageError, type CommandSpec } from './command-line.js';

const spec: CommandSpec = {
  name: 'accord-test',
  summary: 'Does test things.',
  flags: {
    config: { type: 'string', description: 'Config file.', valueName: 'FILE' },
    port: { type: 'string', description: 'Port.', short: 'p' },
    participant: { type: 'string', description: 'A participant.', multiple: true },
    verbose: { type: 'boolean', description: 'Log more.' },
  },
};

describe('parseCommandLine', () => {
  it('reads flags, repeated flags and positionals', () => {
    const parsed = parseCommandLine(spec, [
      '--config',
      'a.yaml',
      '-p',
      '80',
      '--participant',
      'x',
      '--participant',
      'y',
      'rest',
    ]);
    expect(parsed.values).toEqual({ config: 'a.yaml', port: '80', participant: ['x', 'y'] });
    expect(parsed.positionals).toEqual(['rest']);
    expect(parsed.isHelpRequested).toBe(false);
  });

  it('recognises --help and -h', () => {
    expect(parseCommandLine(spec, ['-h']).isHelpRequested).toBe(true);
    expect(parseCommandLine(spec, ['--help']).isHelpRequested).toBe(true);
  });

  it.each([[['--nope']], [['--config']]])('turns %j into a usage error', (argv) => {
    expect(() => parseCommandLine(spec, argv)).toThrow(UsageError);
  });

  it('rejects a non-integer where an integer is expected', () => {
    expect(integerFlag({ port: '80' }, 'port')).toBe(80);
    expect(integerFlag({}, 'port')).toBeUndefined();
    expect(() => integerFlag({ port: 'eighty' }, 'port')).toThrow(/--port must be an integer/);
  });
});

describe('formatHelp', () => {
  it('lists every flag with its description', () => {
    const help = formatHelp(spec);
    expect(help).toContain('Usage: accord-test [flags]');
    expect(help).toMatch(/--config FILE\s+Config file\./);
    expect(help).toMatch(/-p, --port VALUE\s+Port\./);
    expect(help).toMatch(/--participant VALUE\s+A participant\. \(repeatable\)/);
    expect(help).toMatch(/-h, --help\s+Show this help\./);
  });
});
