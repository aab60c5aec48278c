import { Command, Option } from '@commander-js/extra-typings';
import { X509Certificate } from 'node:crypto';
import { UsageError } from '../../lib/cli/command-line.js';
import { isZoneApprover } from '../../lib/contract/zone-approvers.js';
import { derToPem, pemToDerList } from '../../lib/x509/pem.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { errorMessage } from '../../lib/errors/accord-error.js';
import { chooseConfigFile, configRelativePath, readAccordctlConfig } from '../accordctl-config.js';
import { readCallerSigner } from '../caller-identity.js';
import type { CliEnvironment } from '../cli-environment.js';
import { resolveConnection, withConnectionOptions, type ConnectionFlags } from '../connection-options.js';
import { withConsentOptions } from '../consent-signer.js';
import { ConsoleActions } from '../console/console-actions.js';
import type { ConsoleIdentity } from '../console/console-api.js';
import { startConsoleServer } from '../console/console-server.js';
import { ContractFeed } from '../console/contract-feed.js';
import {
  directoryBundleSource,
  noBundleSource,
  secretBundleSource,
  type BundleSource,
} from '../console/installed-bundles.js';
import { optionValue } from '../option-values.js';
import { readInput } from '../read-input.js';

const parsePort = optionValue((text: string) => {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: ${JSON.stringify(text)} is not a port (0 to 65535)`);
  return port;
});

/**
 * `accordctl console`: the web console for this zone's administrator (docs/console.md). It acts
 * as the accordctl configuration's SVID, signs approvals in this process (never in the browser),
 * serves the browser on 127.0.0.1 only, and prints a one-time login URL; it runs until Ctrl-C.
 */
export function consoleCommand(env: CliEnvironment) {
  return withConnectionOptions(
    withConsentOptions(
      new Command('console')
        .description(
          "Start the web console for your zone on 127.0.0.1: live contracts, approvals, the audit log, the trust graph and your zone's bundles. " +
            'Prints a one-time login URL; approvals are signed here with --cert/--key, never in the browser.',
        )
        .addOption(
          new Option('--port <port>', 'port on 127.0.0.1 (default: a free one)').argParser(parsePort),
        )
        .option('--open', 'open the login URL in your browser')
        .option(
          '--bundle-dir <dir>',
          "your provider's output directory, shown as the zone's installed bundles",
        )
        .option(
          '--bundle-secrets <namespaces>',
          "cluster mode: read the provider's bundle Secrets in these namespaces (comma-separated) instead",
        )
        .option(
          '--zone-name <name>',
          'your participant name in contracts you propose (default: first label of your trust domain)',
        )
        .option(
          '--zone-root <file>',
          'your zone root (PEM) for contracts you propose (default: pki.ca of the config file)',
        )
        .option('--port-forwarded', 'in a pod: accept any local port on 127.0.0.1 (kubectl port-forward)'),
    ),
  )
    .addHelpText(
      'after',
      `
Examples:
  accordctl console --open
  accordctl console --bundle-dir /var/lib/accord/bundles --zone-root zone-a-root.pem`,
    )
    .action(async (options) => {
      const connection = await resolveConnection(options, env);
      const signer = await readCallerSigner(env, connection, 'run the console');
      const zoneRootPem = await zoneRoot(env, options, signer.leaf);
      const trustDomain = signer.spiffeId.trustDomain;
      const identity: ConsoleIdentity = {
        spiffeId: signer.spiffeId.uri,
        trustDomain,
        zoneName: options.zoneName ?? trustDomain.split('.')[0] ?? trustDomain,
        isApprover: isZoneApprover(signer.spiffeId.uri, trustDomain),
        certificateNotAfter: new Date(signer.leaf.validTo).toISOString(),
        repository: connection.repository,
        zoneRootSha256:
          zoneRootPem === undefined ? null : sha256Hex(pemToDerList(zoneRootPem)[0] ?? new Uint8Array()),
      };
      const openRepository = () => env.connect(connection);
      const running = await startConsoleServer({
        env,
        identity,
        feed: new ContractFeed({
          openRepository,
          selfTrustDomain: trustDomain,
          timers: env.timers,
          backoff: { initialDelayMs: 250, maxDelayMs: 30_000 },
        }),
        actions: new ConsoleActions(env, connection, {
          name: identity.zoneName,
          trustDomain,
          rootPem: zoneRootPem,
        }),
        bundles: await bundleSource(env, options),
        openRepository,
        assetDirectory: env.consoleAssetDirectory,
        clock: env.clock,
        port: options.port ?? 0,
        acceptsAnyPort: options.portForwarded === true,
        printLoginUrl: (url) =>
          env.stdout.write(
            `Accord console for ${identity.spiffeId}: open ${url}\n` +
              '(the login URL works once; the console runs until Ctrl-C)\n',
          ),
      });
      if (!identity.isApprover) {
        env.stderr.write(
          `accordctl: warning: ${identity.spiffeId} is not a designated approver of ${trustDomain}: the repository will refuse its approvals and revocations\n`,
        );
      }
      if (connection.pki === undefined) {
        env.stderr.write(
          'accordctl: warning: no zone PKI (--pki and --pki-ca, or pki: in the config file): approvals and revocations, which it timestamps, will be refused\n',
        );
      }
      if (options.open === true) {
        await env.openInBrowser(running.loginUrl).catch((error: unknown) => {
          env.stderr.write(
            `accordctl: cannot open a browser (${errorMessage(error)}): open the URL above yourself\n`,
          );
        });
      }
      await new Promise<void>((resolve) => {
        if (env.interrupted.aborted) resolve();
        env.interrupted.addEventListener('abort', () => resolve(), { once: true });
      });
      await running.close();
    });
}

/**
 * This zone's root, which contracts proposed here pin for it: `--zone-root`, else the roots file of
 * the config's `pki.ca` (written by `accordctl login`); of several roots, the one that issued the
 * caller's SVID. Undefined when neither is given: the console then shows contracts but cannot propose.
 */
async function zoneRoot(
  env: CliEnvironment,
  options: ConnectionFlags & { zoneRoot?: string },
  leaf: X509Certificate,
): Promise<string | undefined> {
  let path = options.zoneRoot;
  if (path === undefined) {
    const choice = chooseConfigFile(options.config, env);
    const ca = (await readAccordctlConfig(choice, env))?.pki?.ca;
    if (ca === undefined) return undefined;
    path = configRelativePath(choice.path, ca);
  }
  const ders = pemToDerList(await readInput(env, path));
  const issuer = ders.find((der) => {
    const root = new X509Certificate(der);
    return leaf.checkIssued(root) && leaf.verify(root.publicKey);
  });
  if (issuer === undefined)
    throw new UsageError(`${path}: holds no root that issued your SVID (${leaf.subject || 'no subject'})`);
  return derToPem(issuer);
}

/** `--bundle-dir` or `--bundle-secrets`; the Kubernetes client is loaded only for the latter. */
async function bundleSource(
  env: CliEnvironment,
  options: { bundleDir?: string; bundleSecrets?: string },
): Promise<BundleSource> {
  if (options.bundleDir !== undefined && options.bundleSecrets !== undefined)
    throw new UsageError('use either --bundle-dir or --bundle-secrets, not both');
  if (options.bundleDir !== undefined) return directoryBundleSource(env, options.bundleDir);
  if (options.bundleSecrets !== undefined) {
    const namespaces = options.bundleSecrets
      .split(',')
      .map((namespace) => namespace.trim())
      .filter(Boolean);
    const { coreApiClient } = await import('../../lib/kube/kube-client.js');
    return secretBundleSource(coreApiClient(), namespaces);
  }
  return noBundleSource;
}
