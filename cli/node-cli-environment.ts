import { spawn } from 'node:child_process';
import { access, mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { text } from 'node:stream/consumers';
import { contractRepositoryOverGrpc } from '../lib/contract/contract-repository-client.js';
import { writeFileAtomic } from '../lib/fs/atomic-write.js';
import { createGrpcClient, type GrpcClient } from '../lib/grpc/grpc-client.js';
import { pkiConsentTimestamper } from '../lib/identity/pki-consent-signer.js';
import { pkiRootRotationOverGrpc } from '../lib/identity/pki-root-rotation-client.js';
import { requestSvid } from '../lib/identity/svid-source.js';
import { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import { systemClock } from '../lib/time/clock.js';
import { systemTimers } from '../lib/time/timers.js';
import { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import type { CliEnvironment, ConsentConnection } from './cli-environment.js';
import { readInput } from './read-input.js';

/**
 * The real environment: files on disk, a gRPC client over mTLS and the zone PKI. The
 * process-specific parts (streams, stdin, signals, directories, version) are passed in, so
 * `main.ts` stays the only file that reads `process` and end-to-end tests use the same wiring with
 * captured output.
 */
export function nodeCliEnvironment(
  options: Pick<
    CliEnvironment,
    | 'stdout'
    | 'stderr'
    | 'interrupted'
    | 'stateDirectory'
    | 'configDirectory'
    | 'configPathFromEnvironment'
    | 'version'
    | 'consoleAssetDirectory'
  > & { stdin: NodeJS.ReadableStream },
): CliEnvironment {
  const { stdin, ...rest } = options;
  const environment: CliEnvironment = {
    ...rest,
    readStdin: () => text(stdin),
    readFile: (path) => readFile(path, 'utf8'),
    fileExists: (path) =>
      access(path).then(
        () => true,
        () => false,
      ),
    writeFileAtomic: async (path, content) => {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFileAtomic(path, content, { mode: 0o600 });
    },
    listDirectory: (path) => readdir(path),
    connect: async (connection) => {
      const caPems = [await readInput(environment, connection.caPath)];
      const certificatePem =
        connection.certPath === undefined ? undefined : await readInput(environment, connection.certPath);
      const privateKeyPem =
        connection.keyPath === undefined ? undefined : await readInput(environment, connection.keyPath);
      const client = createGrpcClient(ContractService, connection.repository, {
        caPems,
        ...(certificatePem === undefined ? {} : { certificatePem }),
        ...(privateKeyPem === undefined ? {} : { privateKeyPem }),
      });
      return contractRepositoryOverGrpc(client);
    },
    requestSvid,
    openInBrowser: (url) => openInBrowser(url),
    openConsentTimestamper: async (connection) => {
      const pki = await openPkiAsCaller(environment, connection);
      return { timestamp: pkiConsentTimestamper(pki), close: () => pki.close() };
    },
    openPkiRootRotation: async (connection) => {
      const pki = await openPkiAsCaller(environment, connection);
      return { rootRotation: pkiRootRotationOverGrpc(pki), close: () => pki.close() };
    },
    clock: systemClock,
    timers: systemTimers,
  };
  return environment;
}

/** A client of the caller's zone PKI, authenticated as the caller (mTLS with `--cert`/`--key`). */
async function openPkiAsCaller(
  environment: CliEnvironment,
  connection: ConsentConnection,
): Promise<GrpcClient<typeof PkiService>> {
  return createGrpcClient(PkiService, connection.pki.address, {
    caPems: [await readInput(environment, connection.pki.caPath)],
    certificatePem: await readInput(environment, connection.certPath),
    privateKeyPem: await readInput(environment, connection.keyPath),
  });
}

/**
 * Opens `url` with the desktop's opener (`xdg-open`, or `open` on macOS), detached: the console
 * keeps running whatever the browser does. Fails when there is no opener (a server, a pod).
 */
function openInBrowser(url: string): Promise<void> {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  return new Promise((resolve, reject) => {
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.once('error', (error) => reject(new Error(`cannot run ${opener}: ${error.message}`)));
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
