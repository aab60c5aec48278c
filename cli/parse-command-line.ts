import { parseArgs } from 'node:util';
import type { CliCommand, GlobalOptions, OutputFormat, ParticipantSpec } from './cli-command.js';
import { UsageError } from '../lib/cli/command-line.js';

const optionSpecs = {
  config: { type: 'string' },
  repository: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  participant: { type: 'string', multiple: true },
  file: { type: 'string', short: 'f' },
  id: { type: 'string' },
  approve: { type: 'boolean' },
  reason: { type: 'string' },
  state: { type: 'string' },
  checkpoint: { type: 'string' },
  dir: { type: 'string' },
} as const;

type OptionName = keyof typeof optionSpecs;
const globalOptionNames: readonly OptionName[] = [
  'config',
  'repository',
  'cert',
  'key',
  'ca',
  'output',
  'help',
  'version',
];

/** The flags each command accepts beyond the global ones; anything else is a usage error. */
const commandOptions: Record<string, readonly OptionName[]> = {
  'contracts propose': ['participant', 'file', 'id', 'approve'],
  'contracts approve': [],
  'contracts revoke': ['reason'],
  'contracts delete': [],
  'contracts list': ['state'],
  'contracts show': [],
  'audit verify': ['checkpoint'],
  'bundle show': ['dir'],
};

const participantKeys = ['name', 'trust-domain', 'root'] as const;

/**
 * Turns argv (without `node` and the script) into a `CliCommand`, or throws `UsageError` naming
 * the mistake. Pure: files named on the command line are read only when the command runs.
 */
export function parseCommandLine(argv: readonly string[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: optionSpecs, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [group, verb, ...operands] = positionals;
  if (values.version === true) return { kind: 'version' };
  if (group === undefined) return { kind: 'help', topic: '' };
  const commandName = verb === undefined ? group : `${group} ${verb}`;
  if (values.help === true) return { kind: 'help', topic: commandName };
  const allowed = commandOptions[commandName];
  if (allowed === undefined) {
    if (verb === undefined && Object.keys(commandOptions).some((name) => name.startsWith(`${group} `))) {
      return { kind: 'help', topic: group };
    }
    throw new UsageError(`unknown command "${commandName}"`);
  }
  for (const name of Object.keys(values) as OptionName[]) {
    if (!globalOptionNames.includes(name) && !allowed.includes(name)) {
      throw new UsageError(`"${commandName}" does not accept --${name}`);
    }
  }
  const global = globalOptions(values);
  switch (commandName) {
    case 'contracts propose': {
      expectOperands(commandName, operands, 0);
      const participants = (values.participant ?? []).map(parseParticipant);
      if (values.file !== undefined && participants.length > 0) {
        throw new UsageError('use either --participant or -f, not both');
      }
      if (values.file === undefined && participants.length < 2) {
        throw new UsageError('a contract needs at least two --participant flags (or -f FILE)');
      }
      return {
        kind: 'contracts-propose',
        global,
        id: values.id,
        participants,
        contractFile: values.file,
        isApproving: values.approve === true,
      };
    }
    case 'contracts approve':
      return { kind: 'contracts-approve', global, id: singleOperand(commandName, operands, 'ID') };
    case 'contracts revoke':
      return {
        kind: 'contracts-revoke',
        global,
        id: singleOperand(commandName, operands, 'ID'),
        reason: required(values.reason, '--reason'),
      };
    case 'contracts delete':
      return { kind: 'contracts-delete', global, id: singleOperand(commandName, operands, 'ID') };
    case 'contracts list':
      expectOperands(commandName, operands, 0);
      return { kind: 'contracts-list', global, state: parseState(values.state) };
    case 'contracts show':
      return { kind: 'contracts-show', global, id: singleOperand(commandName, operands, 'ID') };
    case 'audit verify':
      expectOperands(commandName, operands, 0);
      return { kind: 'audit-verify', global, checkpointPath: values.checkpoint };
    case 'bundle show':
      expectOperands(commandName, operands, 0);
      return { kind: 'bundle-show', global, directory: required(values.dir, '--dir') };
    default:
      throw new UsageError(`unknown command "${commandName}"`);
  }
}

function globalOptions(values: {
  config?: string;
  repository?: string;
  cert?: string;
  key?: string;
  ca?: string;
  output?: string;
}): GlobalOptions {
  return {
    configPath: values.config,
    repository: values.repository,
    certPath: values.cert,
    keyPath: values.key,
    caPath: values.ca,
    output: parseOutput(values.output),
  };
}

function parseOutput(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table') return 'table';
  if (value === 'json') return 'json';
  throw new UsageError(`-o must be "table" or "json", not "${value}"`);
}

function parseState(value: string | undefined): 'proposed' | 'active' | 'revoked' | undefined {
  if (value === undefined) return undefined;
  if (value === 'proposed' || value === 'active' || value === 'revoked') return value;
  throw new UsageError(`--state must be "proposed", "active" or "revoked", not "${value}"`);
}

/** Parses `name=zone-a,trust-domain=zone-a.example,root=path/to/root.pem`. */
export function parseParticipant(text: string): ParticipantSpec {
  const fields = new Map<string, string>();
  for (const pair of text.split(',')) {
    const separator = pair.indexOf('=');
    const key = separator === -1 ? pair : pair.slice(0, separator);
    if (separator === -1 || !(participantKeys as readonly string[]).includes(key)) {
      throw new UsageError(
        `--participant expects ${participantKeys.map((k) => `${k}=…`).join(',')}; got "${pair}"`,
      );
    }
    if (fields.has(key)) throw new UsageError(`--participant names "${key}" twice`);
    fields.set(key, pair.slice(separator + 1));
  }
  const field = (key: (typeof participantKeys)[number]): string => {
    const value = fields.get(key);
    if (value === undefined || value === '')
      throw new UsageError(`--participant "${text}" is missing ${key}=`);
    return value;
  };
  return { name: field('name'), trustDomain: field('trust-domain'), rootPath: field('root') };
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`${flag} is required`);
  return value;
}

function singleOperand(command: string, operands: readonly string[], name: string): string {
  expectOperands(command, operands, 1, name);
  return operands[0] ?? '';
}

function expectOperands(command: string, operands: readonly string[], count: number, name = ''): void {
  if (operands.length < count) throw new UsageError(`"${command}" needs ${name}`);
  if (operands.length > count)
    throw new UsageError(`"${command}": unexpected argument "${operands[count] ?? ''}"`);
}
