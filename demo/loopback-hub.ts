import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseConfig } from '../lib/config/load-config.js';
import type { ConsentSigner } from '../lib/contract/zone-approvers.js';
import {
  contractRepositoryOverGrpc,
  type ContractRepositoryClient,
} from '../lib/contract/contract-repository-client.js';
import { createGrpcClient } from '../lib/grpc/grpc-client.js';
import {
  pkiRootRotationOverGrpc,
  type PkiRootRotationClient,
} from '../lib/identity/pki-root-rotation-client.js';
import type { Logger } from '../lib/log/logger.js';
import { systemClock } from '../lib/time/clock.js';
import { consentSignerFromPem, pkiConsentTimestamper } from '../lib/identity/pki-consent-signer.js';
import { ContractService } from '../proto/gen/accord/contracts/v1/contracts_pb.js';
import { PkiService } from '../proto/gen/accord/pki/v1/pki_pb.js';
import { contractRepoConfigSchema } from '../contract-repo/contract-repo-config.js';
import { startContractRepo, type RunningContractRepo } from '../contract-repo/start-contract-repo.js';
import { providerConfigSchema } from '../contract-provider/provider-config.js';
import { startContractProvider, type RunningProvider } from '../contract-provider/start-contract-provider.js';
import { keepSvidInFiles, startZonePki, type StartedZonePki } from './loopback-zone-pki.js';

/** The trust domain of the hub zone, whose PKI certifies the contract repository. */
export const hubTrustDomain = 'hub.example';

/** The SPIFFE ID the repository's certificate carries and its clients insist on. */
export const repositoryServerId = `spiffe://${hubTrustDomain}/accord/contract-repo`;

/** Where the repository keeps its audit log: a directory (file store) or a hub cluster namespace. */
export type HubStore =
  { dataDir: string } | { kubernetesStore: { namespace: string; kubeconfig: string; logName?: string } };

/** What the hub needs to know about the mesh. */
export interface LoopbackHubOptions {
  /** The mesh's directory; the hub's files go under `<directory>/hub/`. */
  directory: string;
  logger: Logger;
  /** SPIFFE IDs allowed to propose, revoke and read the audit log. */
  admins: readonly string[];
  /** The zones whose SVIDs may call the repository. */
  zones: readonly StartedZonePki[];
  store: HubStore;
  /** How often the repository re-reads its TLS identity and the enrolled roots (default: its config's). */
  reloadInterval?: string;
}

/** The hub PKI and the contract repository, both on 127.0.0.1. */
export interface LoopbackHub {
  /** Roots of the hub zone, which the repository's certificate chains to. */
  rootsFile: string;
  /** `127.0.0.1:<port>` of the repository's gRPC server. */
  repositoryAddress: string;
  repository: RunningContractRepo;
  close(): Promise<void>;
}

/**
 * Starts a hub PKI and the contract repository in this process through the binaries' start
 * functions; the repository's TLS identity is an SVID of the hub kept current in files, its
 * enrolled zones are `zones` with their `roots.pem`.
 */
export async function startLoopbackHub(options: LoopbackHubOptions): Promise<LoopbackHub> {
  const { directory, logger } = options;
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer();
  };
  try {
    const hub = await startZonePki({
      directory,
      name: 'hub',
      trustDomain: hubTrustDomain,
      spiffePaths: ['/accord/contract-repo'],
      logger,
    });
    closers.push(() => hub.pki.close());
    const tls = await keepSvidInFiles(
      hub,
      '/accord/contract-repo',
      join(directory, 'hub', 'contract-repo'),
      logger,
    );
    closers.push(() => tls.stop());
    const repository = await startContractRepo(
      parseConfig(contractRepoConfigSchema, {
        listen: { port: 0 },
        ops: { port: 0 },
        ...options.store,
        admins: options.admins,
        enrolledZones: options.zones.map((zone) => ({
          trustDomain: zone.trustDomain,
          rootCaFile: zone.rootsFile,
        })),
        tls: { certificateFile: tls.identity.certificateFile, privateKeyFile: tls.identity.privateKeyFile },
        ...(options.reloadInterval === undefined ? {} : { reloadInterval: options.reloadInterval }),
      }),
      logger.child({ component: 'contract-repo' }),
      systemClock,
    );
    closers.push(() => repository.close());
    return {
      rootsFile: hub.rootsFile,
      repositoryAddress: `127.0.0.1:${repository.grpcPort}`,
      repository,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Where a provider writes the bundles and remembers withdrawn contracts: a directory (local mode;
 * the memory is a file in it) or Secrets and a ConfigMap (cluster mode).
 */
export type ProviderOutput =
  | { outputDirectory: string }
  | {
      kubernetesSecrets: { namespaces: readonly string[]; kubeconfig: string };
      memory: { configMap: { namespace: string; name: string } };
    };

/**
 * Starts `zone`'s contract provider in this process, through the binary's start function, with the
 * config a user would write: the hub's repository, the zone's PKI and its `/accord/contract-provider`
 * bootstrap-token file.
 */
export async function startZoneProvider(
  hub: LoopbackHub,
  zone: StartedZonePki,
  output: ProviderOutput,
  logger: Logger,
): Promise<RunningProvider> {
  return startContractProvider(
    parseConfig(providerConfigSchema, {
      repositoryAddress: hub.repositoryAddress,
      repositoryCaFile: hub.rootsFile,
      repositoryServerId,
      pkiAddress: zone.pkiAddress,
      pkiCaFile: zone.rootsFile,
      bootstrapTokenFile: zone.tokenFile('/accord/contract-provider'),
      ...output,
      ops: { port: 0 },
    }),
    {
      logger: logger.child({ component: 'contract-provider', zone: zone.name }),
      registry: new Registry(),
      clock: systemClock,
    },
  );
}

/** A zone's admin at the loopback hub: the repository as that identity, and its consent signer. */
export interface LoopbackZoneAdmin {
  readonly repository: ContractRepositoryClient;
  /** The admin's current SVID as a consent signer, timestamped by its zone PKI. */
  signer(): Promise<ConsentSigner>;
  /** The zone PKI's root rotation calls, made as this identity (docs/root-rotation.md). */
  readonly rootRotation: PkiRootRotationClient;
  close(): void;
}

/**
 * Keeps an SVID of `zone` for `spiffePath` (bootstrap token, renewed) in `directory` and opens the
 * hub's repository as that identity, the way `accordctl` would with those files.
 */
export async function startZoneAdmin(
  hub: LoopbackHub,
  zone: StartedZonePki,
  options: { spiffePath: string; directory: string; logger: Logger },
): Promise<LoopbackZoneAdmin> {
  const svid = await keepSvidInFiles(zone, options.spiffePath, options.directory, options.logger);
  const hubRootsPem = await readFile(hub.rootsFile, 'utf8');
  const repository = contractRepositoryOverGrpc(
    createGrpcClient(ContractService, hub.repositoryAddress, () => ({
      caPems: [hubRootsPem],
      ...svid.current(),
      expectedServerId: repositoryServerId,
    })),
  );
  const pki = createGrpcClient(PkiService, zone.pkiAddress, () => ({
    // Read at every connection: after a rotation the PKI serves a certificate of its new root.
    caPems: [readFileSync(zone.rootsFile, 'utf8')],
    ...svid.current(),
  }));
  const timestamp = pkiConsentTimestamper(pki);
  return {
    repository,
    rootRotation: pkiRootRotationOverGrpc(pki),
    signer: () => consentSignerFromPem(svid.current(), timestamp),
    close: () => {
      repository.close();
      pki.close();
      svid.stop();
    },
  };
}
