import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
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
import { sidecarBootstrap } from '../../operator/envoy/sidecar-bootstrap.js';
import { hashBasicPassword } from '../../translator/basic-credentials.js';
import { startTranslator, type RunningTranslator } from '../../translator/start-translator.js';
import { translatorConfigSchema } from '../../translator/translator-config.js';
import { startEnvoy, type RunningEnvoy } from '../envoy/envoy-harness.js';
import type { RunningProvider } from '../../contract-provider/start-contract-provider.js';
import {
  startLoopbackHub,
  startZoneAdmin,
  startZoneProvider,
  type LoopbackZoneAdmin,
} from '../../demo/loopback-hub.js';
import { startZonePki, type StartedZonePki } from '../../demo/loopback-zone-pki.js';
import { callThroughProxy, recordingApp, type AppCall } from '../translator/two-zone-chain.js';
import { reservePort } from './reserved-port.js';

// Issue 4's data plane on loopback with every control-plane part real: a hub PKI and the contract
// repository, and per zone a PKI and a contract provider writing bundle files; each zone's
// workload (Envoy + translator) serves an orders API (inbound mapping to that zone's Basic
// credentials) and calls every other zone's (outbound Basic): zone A's frontend calls zone B's
// orders API, and with three zones every zone calls every other. The translators get their SVIDs
// and WITs from their zone PKIs (bootstrap tokens, as in local mode) and keep Envoy's SDS files
// current: the SVID, and the trust bundles from the provider's files. Nothing is trusted across
// the zones until a contract is active.

const providerPath = '/accord/contract-provider';
const adminPath = '/accord/admin';
/** Zone A's calling workload and the other zones' API, as SPIFFE ID paths. */
export const frontendPath = '/ns/shop/sa/frontend';
const ordersPath = '/ns/orders/sa/api';
/** Zone names in order: zone A proposes and is the one the rotation tests rotate. */
const zoneNames = ['zone-a', 'zone-b', 'zone-c'];

/** One zone of the loopback data plane. */
export interface DataPlaneZone {
  readonly name: string;
  readonly pki: StartedZonePki;
  /** Where the zone's provider writes its partner bundles (and the translator reads them). */
  readonly bundleDirectory: string;
  readonly admin: LoopbackZoneAdmin;
  readonly envoy: RunningEnvoy;
  readonly translator: RunningTranslator;
  /** Envoy's SDS directory, where the translator keeps the workload's SVID (`envoySvidFiles`). */
  readonly secretsDirectory: string;
  /** Every request this zone's app received, in order. */
  readonly appCalls: AppCall[];
}

/** What a test may change about the loopback data plane; the defaults are the products'. */
export interface LoopbackDataPlaneOptions {
  /** `PkiConfig` fields for every zone PKI (e.g. short `svidTtl`, `storeReloadInterval`). */
  readonly pki?: Readonly<Record<string, unknown>>;
  /** The repository's `reloadInterval` (TLS identity and enrolled roots). */
  readonly repositoryReloadInterval?: string;
  /** How many zones (2 or 3; default 2). */
  readonly zoneCount?: number;
}

export interface LoopbackDataPlane {
  /** Every zone, zone A first. */
  readonly zones: readonly DataPlaneZone[];
  readonly zoneA: DataPlaneZone;
  readonly zoneB: DataPlaneZone;
  /** `from`'s legacy client: through its Envoy's outbound listener to `orders.<to>`, with this Authorization. */
  call(
    from: DataPlaneZone,
    to: DataPlaneZone,
    authorization: string | undefined,
  ): Promise<{ status: number }>;
  /** `call(zoneA, zoneB, authorization)`. */
  callZoneB(authorization: string | undefined): Promise<{ status: number }>;
  /**
   * Proposes `id` between `participants` (default zone A and zone B; as zone A's admin), each with
   * the root its PKI signs with now.
   */
  proposeContract(id: string, participants?: readonly DataPlaneZone[]): Promise<void>;
  /** Approves `id` as `zone`'s admin; returns the contract's state afterwards. */
  approveContract(id: string, zone: DataPlaneZone): Promise<string>;
  /** Proposes `id` and approves it as every participant's admin. */
  activateContract(id: string, participants?: readonly DataPlaneZone[]): Promise<void>;
  /** Revokes `id` as zone B's admin. */
  revokeContract(id: string): Promise<void>;
  /** Stops `zone`'s contract provider: its bundle files stay as they are, nothing acknowledges. */
  stopProvider(zone: DataPlaneZone): Promise<void>;
  /** Starts `zone`'s contract provider again on the same bundle directory. */
  startProvider(zone: DataPlaneZone): Promise<void>;
  /** Whether zone A's and zone B's providers have written the other zone's bundle (true) or removed it (false). */
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
    const names = zoneNames.slice(0, options.zoneCount ?? 2);
    if (names.length < 2 || names.length !== (options.zoneCount ?? 2))
      throw new Error(`the loopback data plane runs 2 or 3 zones, not ${String(options.zoneCount)}`);
    const pkis = await Promise.all(
      names.map((name) =>
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
    for (const pki of pkis) closers.push(() => pki.pki.close());
    const [pkiA] = pkis;
    if (pkiA === undefined) throw new Error('no zone PKI');
    const hub = await startLoopbackHub({
      directory,
      logger,
      admins: [`spiffe://${pkiA.trustDomain}${adminPath}`],
      zones: pkis,
      store: { dataDir: join(directory, 'hub', 'contract-repo', 'data') },
      ...(options.repositoryReloadInterval === undefined
        ? {}
        : { reloadInterval: options.repositoryReloadInterval }),
    });
    closers.push(() => hub.close());
    const bundleDirectory = (pki: StartedZonePki) => join(directory, pki.name, 'bundles');
    const providers = new Map<string, RunningProvider>();
    const startProvider = async (pki: StartedZonePki) => {
      providers.set(
        pki.name,
        await startZoneProvider(hub, pki, { outputDirectory: bundleDirectory(pki) }, logger),
      );
    };
    const stopProvider = async (pki: StartedZonePki) => {
      await providers.get(pki.name)?.close();
      providers.delete(pki.name);
    };
    closers.push(async () => {
      for (const pki of pkis) await stopProvider(pki);
    });
    for (const pki of pkis) await startProvider(pki);
    const admins = await Promise.all(
      pkis.map((pki) =>
        startZoneAdmin(hub, pki, {
          spiffePath: adminPath,
          directory: join(directory, pki.name, 'admin'),
          logger,
        }),
      ),
    );
    for (const admin of admins) closers.push(() => admin.close());

    // Each zone's inbound port is known before any Envoy starts, so every outbound bootstrap can
    // name every partner.
    const inboundPorts = await Promise.all(pkis.map(() => reservePort()));
    for (const reserved of inboundPorts) closers.push(() => reserved.release());
    const basicUsers = `users:\n  alice: "${await hashBasicPassword('wonderland')}"\n`;
    const workloadPath = (index: number) => (index === 0 ? frontendPath : ordersPath);

    const zones: DataPlaneZone[] = [];
    const outboundPorts = new Map<string, number>();
    for (const [index, pki] of pkis.entries()) {
      const admin = admins[index];
      const inboundPort = inboundPorts[index];
      if (admin === undefined || inboundPort === undefined) throw new Error(`zone ${pki.name} incomplete`);
      const partners = pkis.flatMap((partner, partnerIndex) =>
        partner === pki ? [] : [{ pki: partner, index: partnerIndex }],
      );
      const appCalls: AppCall[] = [];
      const app = await listen(recordingApp(appCalls));
      closers.push(() => closeServer(app.server));
      const zoneDirectory = join(directory, pki.name);
      // Every partner's workload is alice here, with this zone's own Basic credentials.
      const credentialsFile = join(zoneDirectory, 'credentials.yaml');
      await writeFile(
        credentialsFile,
        `mappings:\n${partners
          .map(
            ({ pki: partner, index: partnerIndex }) =>
              `  - { workload: "spiffe://${partner.trustDomain}${workloadPath(partnerIndex)}", user: alice, username: orders-alice, password: ${pki.name.slice(-1)}-secret }\n`,
          )
          .join('')}`,
      );
      const basicUsersFile = join(zoneDirectory, 'users.yaml');
      await writeFile(basicUsersFile, basicUsers);
      const sidecarDirectory = join(zoneDirectory, 'sidecar');
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
            bootstrapTokenFile: pki.tokenFile(workloadPath(index)),
          },
          inbound: { services: ['orders'], credentialsFile },
          outbound: {
            basicUsersFile,
            zones: partners.map(({ pki: partner }) => ({
              hostSuffix: partner.name,
              audience: `spiffe://${partner.trustDomain}`,
            })),
          },
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
            node: { id: `${pki.name}-0`, cluster: pki.name },
            inbound: { address: '127.0.0.1', port: inboundPort.port, appPort: app.port },
            outbound: {
              address: '127.0.0.1',
              port: 0,
              zones: partners.map(({ pki: partner, index: partnerIndex }) => ({
                hostSuffix: partner.name,
                trustDomain: partner.trustDomain,
                endpoint: { host: '127.0.0.1', port: inboundPorts[partnerIndex]?.port ?? 0 },
              })),
            },
            adminPort: 0,
            secretsDirectory,
            // Short, so a revoked contract also ends the connections made before it.
            maxConnectionDurationMs: 1_000,
            extAuthz: {
              transport: 'http',
              translatorPort: translator.port,
              // Generous: the translators share this process with every PKI, provider and the
              // repository, and a loaded 2-core machine stalls it for seconds at times; a stall is
              // not a failed call of what the tests measure.
              timeoutMs: 10_000,
              maxRequestBytes: 65_536,
            },
          }),
        ),
      );
      await inboundPort.release();
      const envoy = await startEnvoy(configPath, sidecarDirectory);
      closers.push(() => envoy.process.stop());
      outboundPorts.set(pki.name, await envoy.listenerPort('outbound'));
      zones.push({
        name: pki.name,
        pki,
        bundleDirectory: bundleDirectory(pki),
        admin,
        envoy,
        translator,
        secretsDirectory,
        appCalls,
      });
    }
    const [zoneA, zoneB] = zones;
    if (zoneA === undefined || zoneB === undefined) throw new Error('two zones');

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
    const hasBundle = async (pki: StartedZonePki, partner: StartedZonePki) =>
      readFile(join(bundleDirectory(pki), `${partner.trustDomain}.spiffe.json`)).then(
        () => true,
        () => false,
      );
    const call = (from: DataPlaneZone, to: DataPlaneZone, authorization: string | undefined) =>
      callThroughProxy(outboundPorts.get(from.name) ?? 0, authorization, '{"qty":1}', to.name);
    const proposeContract = async (id: string, participants: readonly DataPlaneZone[] = [zoneA, zoneB]) => {
      await zoneA.admin.repository.create({
        id,
        participants: participants.map((zone) => participant(zone.pki)),
      });
    };
    const approveContract = async (id: string, zone: DataPlaneZone) => {
      const contract = await zone.admin.repository.get(id);
      const approved = await zone.admin.repository.approve(
        id,
        await signApproval(contract, zone.name, await zone.admin.signer(), new Date()),
      );
      return approved.state;
    };
    return {
      zones,
      zoneA,
      zoneB,
      call,
      callZoneB: (authorization) => call(zoneA, zoneB, authorization),
      proposeContract,
      approveContract,
      activateContract: async (id, participants = [zoneA, zoneB]) => {
        await proposeContract(id, participants);
        for (const zone of participants) await approveContract(id, zone);
      },
      revokeContract: async (id) => {
        const reason = 'loopback data-plane test';
        const contract = await zoneB.admin.repository.get(id);
        const signed = await signRevocation(
          contract,
          zoneB.name,
          reason,
          await zoneB.admin.signer(),
          new Date(),
        );
        await zoneB.admin.repository.revoke(id, reason, signed);
      },
      stopProvider: (zone) => stopProvider(zone.pki),
      startProvider: (zone) => startProvider(zone.pki),
      hasMutualTrust: async () =>
        (await hasBundle(zoneA.pki, zoneB.pki)) && (await hasBundle(zoneB.pki, zoneA.pki)),
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
