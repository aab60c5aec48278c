import { mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UsageError } from '../lib/cli/command-line.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { writeFileAtomic } from '../lib/fs/atomic-write.js';
import { createGrpcClient } from '../lib/grpc/grpc-client.js';
import { systemClock } from '../lib/time/clock.js';
import { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import type { CliEnvironment, OutputStream } from './cli-environment.js';
import { contractRepositoryOverGrpc } from '../lib/contract/contract-repository-client.js';

const readText = (path: string) => readFile(path, 'utf8');

async function readFlagFile(flag: string, path: string): Promise<string> {
  try {
    return await readText(path);
  } catch (error) {
    throw new UsageError(`cannot read ${flag} ${path}: ${errorMessage(error)}`);
  }
}

/**
 * The real environment: files on disk and a gRPC client over mTLS. The process-specific parts
 * (streams, state directory, version) are passed in, so `main.ts` stays the only file that reads
 * `process` and end-to-end tests use the same wiring with captured output.
 */
export function nodeCliEnvironment(options: {
  stdout: OutputStream;
  stderr: OutputStream;
  stateDirectory: string;
  configPathFromEnvironment: string | undefined;
  version: string;
}): CliEnvironment {
  return {
    ...options,
    readFile: readText,
    writeFileAtomic: async (path, content) => {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, content, { mode: 0o600 });
    },
    listDirectory: (path) => readdir(path),
    connect: async (global) => {
      if (global.caPath === undefined)
        throw new UsageError('--ca is required to reach the repository (or ca: in the --config file)');
      const caPems = [await readFlagFile('--ca', global.caPath)];
      const certificatePem =
        global.certPath === undefined ? undefined : await readFlagFile('--cert', global.certPath);
      const privateKeyPem =
        global.keyPath === undefined ? undefined : await readFlagFile('--key', global.keyPath);
      const client = createGrpcClient(ContractService, global.repository ?? '', {
        caPems,
        ...(certificatePem === undefined ? {} : { certificatePem }),
        ...(privateKeyPem === undefined ? {} : { privateKeyPem }),
      });
      return contractRepositoryOverGrpc(client);
    },
    clock: systemClock,
  };
}
