import { Command } from '@commander-js/extra-typings';
import { defaultCheckpointPath, formatCheckpoint, readCheckpointFile } from '../audit-checkpoint-file.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, withRepository } from '../connection-options.js';
import { outputOption, printResult } from '../output-format.js';
import { verifyAuditLog } from '../verify-audit-log.js';

/**
 * `audit verify`: verifies the repository's whole hash-chained audit log, requires it to extend
 * the checkpoint accepted last time, then saves the new head (exit code 4 when it does not).
 */
export function auditVerifyCommand(env: CliEnvironment) {
  return withConnectionOptions(
    new Command('verify')
      .description(
        "Verify the repository's hash-chained audit log against the checkpoint accepted last time, then advance it.",
      )
      .option(
        '--checkpoint <file>',
        'checkpoint file (default $XDG_STATE_HOME/accord/audit-checkpoint-<repository>.json)',
      ),
  )
    .addOption(outputOption(['table', 'json', 'yaml']))
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      const path = options.checkpoint ?? defaultCheckpointPath(env.stateDirectory, connection.repository);
      const previous = (await readCheckpointFile(env, path))?.checkpoint;
      const result = await withRepository(env, connection, (repository) =>
        verifyAuditLog(repository, previous),
      );
      await env.writeFileAtomic(path, formatCheckpoint(connection.repository, result.head, env.clock.now()));
      const summary = {
        isVerified: true,
        entries: result.entries,
        headSequence: result.head.sequence,
        headHash: Buffer.from(result.head.hash).toString('hex'),
        previousCheckpointSequence: previous?.sequence ?? null,
        checkpointFile: path,
      };
      printResult(
        env,
        options.output,
        summary,
        () =>
          `audit log verified: ${summary.entries} entries, head ${summary.headSequence} (${summary.headHash})\n` +
          `checkpoint ${previous === undefined ? 'created' : `advanced from ${previous.sequence}`}: ${path}\n`,
      );
    });
}
