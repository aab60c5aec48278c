import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { signApproval } from '../../lib/contract/approval-signature.js';
import { signRevocation } from '../../lib/contract/revocation-signature.js';
import type { ParticipantProposal } from '../../lib/contract/validate-proposal.js';
import type { Logger } from '../../lib/log/logger.js';
import { systemClock } from '../../lib/time/clock.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import { sidecarBootstrap, type SidecarBootstrapOptions } from '../../operator/envoy/sidecar-bootstrap.js';
import { hashBasicPassword } from '../../translator/basic-credentials.js';
import { startTranslator, type RunningTranslator } from '../../translator/start-translator.js';
import { translatorConfigSchema } from '../../translator/translator-config.js';
import { startEnvoy, type RunningEnvoy } from '../envoy/envoy-harness.js';
import {
  startLoopbackHub,
  startZoneAdmin,
  startZoneProvider,
  type LoopbackZoneAdmin,
} from '../../demo/loopback-hub.js';
import { startZonePki, type StartedZonePki } from '../../demo/loopback-zone-pki.js';
import { callThroughProxy, recordingApp, type AppCall } from '../translator/two-zone-chain.js';

// Issue 4's data plane on loopback with every control-plane part real: a hub PKI and the contract
// repository, and per zone a PKI and a contract provider writing bundle files; zone A's frontend
// (Envoy A + translator A, outbound Basic) calls zone B's orders API (Envoy B + translator B,
// inbound mapping to zone B's Basic credentials). The translators get their SVIDs and WITs from
// their zone PKIs (bootstrap tokens, as in local mode) and keep Envoy's SDS files current: the
// SVID, and the trust bundles from the provider's files. Nothing is trusted across the zones
// until a contract is active.

const providerPath = '/accord/contract-provider';
const adminPath = '/accord/admin';
/** Zone A's calling workload and zone B's API, as SPIFFE ID paths. */
export const frontendPath = '/ns/shop/sa/frontend';
const ordersPath = '/ns/orders/sa/api';

/** One zone of the loopback data plane. */
export interface DataPlaneZone {
  readonly pki: StartedZonePki;
  /** Where the zone's provider writes its partner bundles (and the translator reads them). */
  readonly bundleDirectory: string;
  readonly admin: LoopbackZoneAdmin;
  readonly envoy: RunningEnvoy;
  readonly translator: RunningTranslator;
}

/** What a test may change about the loopback data plane; the defaults are the products'. */
export interface LoopbackDataPlaneOptions {
  /** `PkiConfig` fields for both zone PKIs (e.g. short `svidTtl`, `storeReloadInterval`). */
  readonly pki?: Readonly<Record<string, unknown>>;
  /** The repository's `reloadInterval` (TLS identity and enrolled roots). */
  readonly repositoryReloadInterval?: string;
}

export interface LoopbackDataPlane {
  readonly zoneA: DataPlaneZone;
  readonly zoneB: DataPlaneZone;
  /** Every request zone B's app received, in order. */
  readonly appCalls: AppCall[];
  /** Zone A's legacy client: through Envoy A's outbound listener to `orders.zone-b`, with this Authorization. */
  callZoneB(authorization: string | undefined): Promise<{ status: number }>;
  /**
   * Proposes `id` between zone A and zone B (as zone A's admin), each with the root its PKI signs
   * with now, and approves it as both admins.
   */
  activateContract(id: string): Promise<void>;
  /** Revokes `id` as zone B's admin. */
  revokeContract(id: string): Promise<void>;
  /** Whether both providers have written the other zone's bundle (true) or removed it (false). */
  hasMutualTrust(): Promise<boolean>;
  /** The sum of Envoy `ssl.*` handshake-failure counters of a zone's Envoy (listeners and clusters). */
  handshakeFailures(zone: DataPlaneZone): Promise<number>;
  close(): Promise<void>;
}

/** Starts the loopback data plane under `directory`. */
export async function startLoopbackDataPlane(
  directory: string,
  logger: Logger,
  options: LoopbackDataPlaneOptions = {},
): Promise<LoopbackDataPlane> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const [pkiA, pkiB] = await Promise.all(
      ['zone-a', 'zone-b'].map((name) =>
        startZonePki({
          directory,
          name,
          trustDomain: `${name}.example`,
          spiffePaths: [providerPath, adminPath, frontendPath, ordersPath],
          logger,
          ...(options.pki === undefined ? {} : { config: options.pki }),
        }),
      ),
    );
    if (pkiA === undefined || pkiB === undefined) throw new Error('two zone PKIs');
    closers.push(
      () => pkiA.pki.close(),
      () => pkiB.pki.close(),
    );
    const hub = await startLoopbackHub({
      directory,
      logger,
      admins: [`spiffe://${pkiA.trustDomain}${adminPath}`],
      zones: [pkiA, pkiB],
      store: { dataDir: join(directory, 'hub', 'contract-repo', 'data') },
      ...(options.repositoryReloadInterval === undefined
        ? {}
        : { reloadInterval: options.repositoryReloadInterval }),
    });
    closers.push(() => hub.close());
    const bundleDirectory = (pki: StartedZonePki) => join(directory, pki.name, 'bundles');
    for (const pki of [pkiA, pkiB]) {
      const provider = await startZoneProvider(hub, pki, { outputDirectory: bundleDirectory(pki) }, logger);
      closers.push(() => provider.close());
    }
    const admins = await Promise.all(
      [pkiA, pkiB].map((pki) =>
        startZoneAdmin(hub, pki, {
          spiffePath: adminPath,
          directory: join(directory, pki.name, 'admin'),
          logger,
        }),
      ),
    );
    const [adminA, adminB] = admins;
    if (adminA === undefined || adminB === undefined) throw new Error('two zone admins');
    closers.push(
      () => adminA.close(),
      () => adminB.close(),
    );

    const appCalls: AppCall[] = [];
    const appB = await listen(recordingApp(appCalls));
    closers.push(() => closeServer(appB.server));
    const unusedAppA = await listen(createServer((_, response) => response.end()));
    closers.push(() => closeServer(unusedAppA.server));

    const sidecar = async (
      pki: StartedZonePki,
      workloadPath: string,
      translatorConfig: Record<string, unknown>,
      bootstrap: Omit<SidecarBootstrapOptions, 'adminPort' | 'secretsDirectory' | 'extAuthz'>,
    ): Promise<{ envoy: RunningEnvoy; translator: RunningTranslator }> => {
      const sidecarDirectory = join(directory, pki.name, 'sidecar');
      const secretsDirectory = join(sidecarDirectory, 'sds');
      await mkdir(secretsDirectory, { recursive: true });
      const translator = await startTranslator(
        translatorConfigSchema.parse({
          // The HTTP ext_authz transport, as the operator's injected sidecars use it.
          listen: { port: 0, protocol: 'http' },
          ops: { port: 0 },
          trustDomain: pki.trustDomain,
          bundleDirectory: bundleDirectory(pki),
          envoySecretsDirectory: secretsDirectory,
          workloadIdentity: {
            pkiAddress: pki.pkiAddress,
            pkiCaFile: pki.rootsFile,
            bootstrapTokenFile: pki.tokenFile(workloadPath),
          },
          ...translatorConfig,
        }),
        {
          logger: logger.child({ component: 'translator', zone: pki.name }),
          registry: new Registry(),
          clock: systemClock,
        },
      );
      closers.push(() => translator.close());
      const configPath = join(sidecarDirectory, 'envoy.yaml');
      await writeFile(
        configPath,
        renderEnvoyYaml(
          sidecarBootstrap({
            ...bootstrap,
            adminPort: 0,
            secretsDirectory,
            // Short, so a revoked contract also ends the connections made before it.
            maxConnectionDurationMs: 1_000,
            extAuthz: {
              transport: 'http',
              translatorPort: translator.port,
              timeoutMs: 2_000,
              maxRequestBytes: 65_536,
            },
          }),
        ),
      );
      const envoy = await startEnvoy(configPath, sidecarDirectory);
      closers.push(() => envoy.process.stop());
      return { envoy, translator };
    };

    const credentialsFile = join(directory, pkiB.name, 'credentials.yaml');
    await writeFile(
      credentialsFile,
      `mappings:\n  - { workload: "spiffe://${pkiA.trustDomain}${frontendPath}", user: alice, username: orders-alice, password: b-secret }\n`,
    );
    const sidecarB = await sidecar(
      pkiB,
      ordersPath,
      { inbound: { services: ['orders'], credentialsFile } },
      {
        node: { id: 'orders-0', cluster: 'orders' },
        inbound: { address: '127.0.0.1', port: 0, appPort: appB.port },
      },
    );
    const inboundPortB = await sidecarB.envoy.listenerPort('inbound');

    const basicUsersFile = join(directory, pkiA.name, 'users.yaml');
    await writeFile(basicUsersFile, `users:\n  alice: "${await hashBasicPassword('wonderland')}"\n`);
    const sidecarA = await sidecar(
      pkiA,
      frontendPath,
      {
        outbound: {
          basicUsersFile,
          zones: [{ hostSuffix: 'zone-b', audience: `spiffe://${pkiB.trustDomain}` }],
        },
      },
      {
        node: { id: 'frontend-0', cluster: 'frontend' },
        inbound: { address: '127.0.0.1', port: 0, appPort: unusedAppA.port },
        outbound: {
          address: '127.0.0.1',
          port: 0,
          zones: [
            {
              hostSuffix: 'zone-b',
              trustDomain: pkiB.trustDomain,
              endpoint: { host: '127.0.0.1', port: inboundPortB },
            },
          ],
        },
      },
    );
    const outboundPortA = await sidecarA.envoy.listenerPort('outbound');

    const participant = (pki: StartedZonePki): ParticipantProposal => {
      // The root the PKI signs with now (GetCA lists it first).
      const [publicKey = ''] = pki.pki.authority.getCa().rootCertificatePems;
      return {
        name: pki.name,
        trustDomain: pki.trustDomain,
        publicKey,
        hash: sha256Hex(new X509Certificate(publicKey).raw),
      };
    };
    const zoneA: DataPlaneZone = {
      pki: pkiA,
      bundleDirectory: bundleDirectory(pkiA),
      admin: adminA,
      ...sidecarA,
    };
    const zoneB: DataPlaneZone = {
      pki: pkiB,
      bundleDirectory: bundleDirectory(pkiB),
      admin: adminB,
      ...sidecarB,
    };
    const hasBundle = async (pki: StartedZonePki, partner: StartedZonePki) =>
      readFile(join(bundleDirectory(pki), `${partner.trustDomain}.spiffe.json`)).then(
        () => true,
        () => false,
      );
    return {
      zoneA,
      zoneB,
      appCalls,
      callZoneB: (authorization) => callThroughProxy(outboundPortA, authorization, '{"qty":1}'),
      activateContract: async (id) => {
        const participants = [participant(pkiA), participant(pkiB)];
        let contract = await adminA.repository.create({ id, participants });
        for (const [name, admin] of [
          [pkiA.name, adminA],
          [pkiB.name, adminB],
        ] as const) {
          contract = await admin.repository.approve(
            id,
            await signApproval(contract, name, await admin.signer(), new Date()),
          );
        }
      },
      revokeContract: async (id) => {
        const reason = 'loopback data-plane test';
        const contract = await adminB.repository.get(id);
        const signed = await signRevocation(contract, pkiB.name, reason, await adminB.signer(), new Date());
        await adminB.repository.revoke(id, reason, signed);
      },
      hasMutualTrust: async () => (await hasBundle(pkiA, pkiB)) && (await hasBundle(pkiB, pkiA)),
      handshakeFailures: async (zone) => {
        const stats = await zone.envoy.admin('/stats?filter=ssl\\.(fail_verify|connection_error)');
        return stats
          .split('\n')
          .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)))
          .filter((value) => Number.isFinite(value))
          .reduce((sum, value) => sum + value, 0);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function listen(server: Server): Promise<{ server: Server; port: number }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
