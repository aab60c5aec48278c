import { UsageError } from '../lib/cli/command-line.js';
import { parseCommandLine } from './parse-command-line.js';

const repo = ['--repository', '127.0.0.1:8443'];

describe('parseCommandLine', () => {
  it.each([
    [
      'propose with two participants, an id and --approve',
      [
        'contracts',
        'propose',
        ...repo,
        '--participant',
        'name=zone-a,trust-domain=zone-a.example,root=a.pem',
        '--participant',
        'name=zone-b,trust-domain=zone-b.example,root=b.pem',
        '--id',
        'ab',
        '--approve',
      ],
      {
        kind: 'contracts-propose',
        id: 'ab',
        isApproving: true,
        contractFile: undefined,
        participants: [
          { name: 'zone-a', trustDomain: 'zone-a.example', rootPath: 'a.pem' },
          { name: 'zone-b', trustDomain: 'zone-b.example', rootPath: 'b.pem' },
        ],
      },
    ],
    [
      'propose from a file',
      ['contracts', 'propose', '-f', 'c.yaml'],
      { kind: 'contracts-propose', contractFile: 'c.yaml' },
    ],
    [
      'approve with global flags after the id',
      ['contracts', 'approve', 'ab', '-o', 'json'],
      { kind: 'contracts-approve', id: 'ab' },
    ],
    [
      'revoke with a reason',
      ['contracts', 'revoke', 'ab', '--reason', 'done'],
      { kind: 'contracts-revoke', reason: 'done' },
    ],
    [
      'list filtered by state',
      ['contracts', 'list', '--state', 'active'],
      { kind: 'contracts-list', state: 'active' },
    ],
    [
      'audit verify with a checkpoint',
      ['audit', 'verify', '--checkpoint', 'cp.json'],
      { kind: 'audit-verify', checkpointPath: 'cp.json' },
    ],
    ['bundle show', ['bundle', 'show', '--dir', 'out'], { kind: 'bundle-show', directory: 'out' }],
    ['no arguments as the overview help', [], { kind: 'help', topic: '' }],
    [
      'a command with --help as that command help',
      ['contracts', 'approve', '--help'],
      { kind: 'help', topic: 'contracts approve' },
    ],
  ])('parses %s', (_, argv, expected) => {
    expect(parseCommandLine(argv)).toMatchObject(expected);
  });

  it('reads -o json into the global options', () => {
    expect(parseCommandLine(['contracts', 'list', ...repo, '-o', 'json'])).toMatchObject({
      global: { repository: '127.0.0.1:8443', output: 'json' },
    });
  });

  it.each([
    ['an unknown command', ['contracts', 'frobnicate'], 'unknown command'],
    ['an unknown flag', ['contracts', 'list', '--colour'], 'colour'],
    ['a flag of another command', ['contracts', 'list', '--reason', 'x'], 'does not accept --reason'],
    ['a missing contract id', ['contracts', 'show'], 'needs ID'],
    ['an extra argument', ['contracts', 'show', 'a', 'b'], 'unexpected argument'],
    ['revoke without --reason', ['contracts', 'revoke', 'ab'], '--reason is required'],
    [
      'one participant only',
      ['contracts', 'propose', '--participant', 'name=a,trust-domain=a.example,root=a.pem'],
      'at least two',
    ],
    [
      'a participant without root',
      [
        'contracts',
        'propose',
        '--participant',
        'name=a,trust-domain=a.example',
        '--participant',
        'name=b,trust-domain=b.example,root=b',
      ],
      'missing root=',
    ],
    [
      'a participant with an unknown key',
      ['contracts', 'propose', '--participant', 'name=a,td=a', '--participant', 'name=b'],
      'td=a',
    ],
    ['an unknown output format', ['contracts', 'list', '-o', 'yaml'], '-o must be'],
    ['an unknown state', ['contracts', 'list', '--state', 'gone'], '--state must be'],
  ])('rejects %s with a usage error', (_, argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});
