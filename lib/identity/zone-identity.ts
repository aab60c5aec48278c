import { readFile } from 'node:fs/promises';
import type { ZoneClientConfig } from '../config/config-fields.js';
import type { ClientTls } from '../grpc/grpc-client.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../time/clock.js';
import type { Timers } from '../time/timers.js';
import { SvidSource } from './svid-source.js';
import { readTokenFile } from './token-file.js';

/**
 * How long a starting component waits for an unreachable zone PKI before it exits: below the 60 s
 * the chart's startup probe allows (`accord.probes`: 30 × 2 s), which would otherwise kill it first
 * (the ops port opens once the identity is there).
 */
const pkiStartupWaitMs = 45_000;

/** A zone component's identity: its SVID, kept current, and the TLS it presents to the repository. */
export interface ZoneIdentity {
  readonly svids: SvidSource;
  /** Client TLS for the repository with the current SVID, read per connection so renewals apply. */
  readonly repositoryTls: () => ClientTls;
}

/**
 * Gets a zone component's first SVID from its zone PKI (bootstrap token; renewed at 2/3 of its
 * life from then on, by token again only once it expired), waiting up to `pkiStartupWaitMs` for a
 * PKI that is not reachable yet, and prepares its repository TLS. The caller stops `svids` when it
 * closes.
 */
export async function startZoneIdentity(
  config: ZoneClientConfig,
  dependencies: { clock: Clock; timers?: Timers; logger: Logger },
): Promise<ZoneIdentity> {
  // Read at every bearer-token attempt, so an anchor replaced after an emergency rotation applies.
  const pkiRootsPem = async () => [await readFile(config.pkiCaFile, 'utf8')];
  const repositoryCaPem = await readFile(config.repositoryCaFile, 'utf8');
  const svids = new SvidSource({
    pkiAddress: config.pkiAddress,
    pkiRootsPem,
    // Read when needed (the first SVID, or after it expired), so a rotated token file applies.
    bootstrapToken: () => readTokenFile(config.bootstrapTokenFile),
    clock: dependencies.clock,
    ...(dependencies.timers === undefined ? {} : { timers: dependencies.timers }),
    logger: dependencies.logger.child({ subsystem: 'svid' }),
  });
  await svids.start(pkiStartupWaitMs);
  const repositoryTls = (): ClientTls => {
    const svid = svids.current();
    return {
      caPems: [repositoryCaPem],
      certificatePem: svid.certificatePem,
      privateKeyPem: svid.privateKeyPem,
      ...(config.repositoryServerId === '' ? {} : { expectedServerId: config.repositoryServerId }),
    };
  };
  return { svids, repositoryTls };
}
