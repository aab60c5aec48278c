import { inMemoryCli } from '../test/cli/in-memory-cli.js';
import { InMemoryRepository } from '../test/cli/in-memory-repository.js';
import { accordctlProgram } from './accordctl-program.js';
import { completionCandidates, directoryNamesDirective, fileNamesDirective } from './shell-completion.js';

const program = accordctlProgram(inMemoryCli(new InMemoryRepository(), []).env);
const typed: Record<string, string>[] = [];
const lookups = {
  contractIds: (flags: Readonly<Record<string, string>>) => {
    typed.push({ ...flags });
    return Promise.resolve(['ab', 'ac', 'zone-x']);
  },
};

describe('completionCandidates', () => {
  it.each([
    [[''], ['contracts', 'root', 'audit', 'bundle', 'login', 'console', 'completion', 'version', 'help']],
    [['co'], ['contracts', 'console', 'completion']],
    [
      ['contracts', ''],
      ['propose', 'approve', 'revoke', 'delete', 'list', 'show', 'watch'],
    ],
    [['contracts', 'a'], ['approve']],
    [
      ['bundle', 'show', '--'],
      ['--dir', '--output', '--help'],
    ],
    [['contracts', 'list', '--p'], ['--pending']],
    [['contracts', 'approve', 'ab', '--w'], ['--wait']],
    [
      ['contracts', 'list', '-o', ''],
      ['table', 'json', 'yaml'],
    ],
    [['contracts', 'watch', '--output', 'j'], ['json']],
    [
      ['contracts', 'list', '--state', ''],
      ['proposed', 'active', 'revoked'],
    ],
    [['contracts', 'list', '--config', ''], [fileNamesDirective]],
    [['bundle', 'show', '--dir', 'out'], [directoryNamesDirective]],
    [['contracts', 'revoke', 'ab', '--reason', ''], []],
    [
      ['completion', ''],
      ['bash', 'zsh'],
    ],
    [
      ['contracts', 'show', 'a'],
      ['ab', 'ac'],
    ],
    [['contracts', 'show', 'ab', ''], []],
    [['contracts', 'list', ''], []],
    [['nope', ''], []],
    [
      ['root', ''],
      ['prepare', 'announce', 'status', 'activate', 'cancel', 'emergency'],
    ],
    [['root', 'activate', '--f'], ['--force']],
  ])('completes %j with %j', async (words, expected) => {
    expect(await completionCandidates(program, words, lookups)).toEqual(expected);
  });

  it('asks for contract ids with the connection flags typed so far', async () => {
    typed.length = 0;
    const words = [
      'contracts',
      'approve',
      '--config',
      'zone-a.yaml',
      '--repository=127.0.0.1:8443',
      '-o',
      'json',
      '',
    ];
    expect(await completionCandidates(program, words, lookups)).toEqual(['ab', 'ac', 'zone-x']);
    expect(typed).toEqual([{ config: 'zone-a.yaml', repository: '127.0.0.1:8443', output: 'json' }]);
  });
});
