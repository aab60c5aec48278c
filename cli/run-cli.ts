import { UsageError } from '../lib/cli/command-line.js';
import { AuditChainError } from '../lib/contract/audit-chain.js';
import { AccordError, errorMessage } from '../lib/errors/accord-error.js';
import { statusName, statusOfKind } from '../lib/grpc/grpc-status.js';
import { InvalidConfigError } from '../lib/config/load-config.js';
import { withConfigFile } from './accordctl-config.js';
import { approveContract } from './approve-contract.js';
import { defaultCheckpointPath, formatCheckpoint, parseCheckpoint } from './audit-checkpoint-file.js';
import type { CliCommand, GlobalOptions } from './cli-command.js';
import type { CliEnvironment } from './cli-environment.js';
import type { ContractRepositoryClient } from '../lib/contract/contract-repository-client.js';
import { contractView, formatContractDetails, formatContractList } from './contract-view.js';
import { ExitCode } from './exit-codes.js';
import { formatTable } from './format-table.js';
import { helpText } from './help-text.js';
import { parseCommandLine } from './parse-command-line.js';
import { readProposal } from './propose-contract.js';
import { readBundles } from './show-bundles.js';
import { verifyAuditLog } from './verify-audit-log.js';

/**
 * Runs accordctl: parses `argv`, runs the command against the injected environment, prints the
 * result, and returns the exit code (see exit-codes.ts). Errors are printed as one line with the
 * gRPC status name and message, never a stack trace.
 */
export async function runCli(argv: readonly string[], env: CliEnvironment): Promise<ExitCode> {
  try {
    const command = parseCommandLine(argv);
    return await run(command, env);
  } catch (error) {
    return reportError(error, env);
  }
}

async function run(command: CliCommand, env: CliEnvironment): Promise<ExitCode> {
  switch (command.kind) {
    case 'help':
      env.stdout.write(helpText(command.topic));
      return ExitCode.ok;
    case 'version':
      env.stdout.write(`accordctl ${env.version}\n`);
      return ExitCode.ok;
    case 'bundle-show': {
      const rows = await readBundles(env, command.directory);
      if (command.global.output === 'json') {
        env.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else if (rows.length === 0) {
        env.stdout.write(`no trusted zones: ${command.directory} holds no bundles\n`);
      } else {
        env.stdout.write(
          formatTable(
            ['trust domain', 'sha-256', 'subject', 'not after'],
            rows.map((row) => [row.trustDomain, row.sha256, row.subject, row.notAfter]),
          ),
        );
      }
      return ExitCode.ok;
    }
    case 'contracts-propose':
    case 'contracts-approve':
    case 'contracts-revoke':
    case 'contracts-delete':
    case 'contracts-list':
    case 'contracts-show':
    case 'audit-verify': {
      const configured = { ...command, global: await withConfigFile(command.global, env) };
      return withRepository(configured.global, env, (repository) => runRemote(configured, repository, env));
    }
  }
}

async function withRepository(
  global: GlobalOptions,
  env: CliEnvironment,
  body: (repository: ContractRepositoryClient) => Promise<ExitCode>,
): Promise<ExitCode> {
  if (global.repository === undefined)
    throw new UsageError('--repository is required (or repository: in the --config file)');
  const repository = await env.connect(global);
  try {
    return await body(repository);
  } finally {
    repository.close();
  }
}

async function runRemote(
  command: Exclude<CliCommand, { kind: 'help' | 'version' | 'bundle-show' }>,
  repository: ContractRepositoryClient,
  env: CliEnvironment,
): Promise<ExitCode> {
  const isJson = command.global.output === 'json';
  const printContract = (contract: Parameters<typeof contractView>[0]): ExitCode => {
    const view = contractView(contract);
    env.stdout.write(isJson ? `${JSON.stringify(view, null, 2)}\n` : formatContractDetails(view));
    return ExitCode.ok;
  };
  switch (command.kind) {
    case 'contracts-propose': {
      const proposal = await readProposal(env, command.id, command.participants, command.contractFile);
      const created = await repository.create(proposal);
      if (!command.isApproving) return printContract(created);
      return printContract(await approveContract(env, repository, command.global, created));
    }
    case 'contracts-approve': {
      const contract = await repository.get(command.id);
      return printContract(await approveContract(env, repository, command.global, contract));
    }
    case 'contracts-revoke':
      return printContract(await repository.revoke(command.id, command.reason));
    case 'contracts-delete':
      await repository.delete(command.id);
      env.stdout.write(
        isJson
          ? `${JSON.stringify({ id: command.id, deleted: true })}\n`
          : `contract ${command.id} deleted\n`,
      );
      return ExitCode.ok;
    case 'contracts-list': {
      const views = (await repository.list(command.state)).map(contractView);
      env.stdout.write(isJson ? `${JSON.stringify(views, null, 2)}\n` : formatContractList(views));
      return ExitCode.ok;
    }
    case 'contracts-show':
      return printContract(await repository.get(command.id));
    case 'audit-verify':
      return verifyAudit(command.global, command.checkpointPath, repository, env);
  }
}

async function verifyAudit(
  global: GlobalOptions,
  checkpointOption: string | undefined,
  repository: ContractRepositoryClient,
  env: CliEnvironment,
): Promise<ExitCode> {
  const repositoryAddress = global.repository ?? '';
  const path = checkpointOption ?? defaultCheckpointPath(env.stateDirectory, repositoryAddress);
  let previous;
  let checkpointText: string | undefined;
  try {
    checkpointText = await env.readFile(path);
  } catch {
    checkpointText = undefined;
  }
  if (checkpointText !== undefined) {
    try {
      previous = parseCheckpoint(checkpointText).checkpoint;
    } catch (error) {
      throw new AuditChainError(`${path}: ${errorMessage(error)}`, 0);
    }
  }
  const result = await verifyAuditLog(repository, previous);
  await env.writeFileAtomic(path, formatCheckpoint(repositoryAddress, result.head, env.clock.now()));
  const summary = {
    isVerified: true,
    entries: result.entries,
    headSequence: result.head.sequence,
    headHash: Buffer.from(result.head.hash).toString('hex'),
    previousCheckpointSequence: previous?.sequence ?? null,
    checkpointFile: path,
  };
  env.stdout.write(
    global.output === 'json'
      ? `${JSON.stringify(summary, null, 2)}\n`
      : `audit log verified: ${summary.entries} entries, head ${summary.headSequence} (${summary.headHash})\n` +
          `checkpoint ${previous === undefined ? 'created' : `advanced from ${previous.sequence}`}: ${path}\n`,
  );
  return ExitCode.ok;
}

function reportError(error: unknown, env: CliEnvironment): ExitCode {
  if (error instanceof UsageError || error instanceof InvalidConfigError) {
    env.stderr.write(`accordctl: ${error.message}\nRun 'accordctl --help' for usage.\n`);
    return ExitCode.usage;
  }
  if (error instanceof AuditChainError) {
    env.stderr.write(
      `accordctl: audit log verification FAILED at entry ${error.sequence}: ${error.message}\n`,
    );
    return ExitCode.auditVerificationFailed;
  }
  if (error instanceof AccordError) {
    env.stderr.write(`accordctl: ${statusName(statusOfKind(error.kind))}: ${error.message}\n`);
    return error.kind === 'Unavailable' ? ExitCode.unreachable : ExitCode.failure;
  }
  env.stderr.write(`accordctl: ${errorMessage(error)}\n`);
  return ExitCode.failure;
}
