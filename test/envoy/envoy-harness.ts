import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../../lib/fs/atomic-write.js';
import { trustBundlePemFileName } from '../../lib/bundle/bundle-file-names.js';
import { spiffeIdOf } from '../../lib/spiffe/spiffe-id.js';
import { createSelfSignedCa } from '../../lib/x509/create-self-signed-ca.js';
import { generateEcKeyPair } from '../../lib/x509/generate-ec-key-pair.js';
import { issueX509Svid } from '../../lib/x509/issue-x509-svid.js';
import { privateKeyToPem } from '../../lib/x509/private-key-pem.js';
import { renderEnvoyYaml } from '../../lib/sidecar/render-envoy-yaml.js';
import { svidSecretFile } from '../../lib/sidecar/sds-secret-files.js';
import { secretFileName, svidSecretName } from '../../lib/sidecar/sidecar-secret-names.js';
import { writeTrustBundlesSecret } from '../../lib/sidecar/trust-bundles-secret-writer.js';
import { startManagedProcess, type ManagedProcess } from '../support/managed-process.js';
import { testTool } from '../support/test-tools.js';

const runFile = promisify(execFile);
const hourMs = 3_600_000;

/** A zone's root CA, able to issue SVIDs in its trust domain. */
export interface TestZoneCa {
  trustDomain: string;
  rootPem: string;
  /** Issues a fresh key and an X509-SVID for `spiffePath` (or for another trust domain's ID: forgeries). */
  issue(spiffePath: string, trustDomain?: string): Promise<{ certificatePem: string; privateKeyPem: string }>;
}

/** Creates a zone root CA valid for a day around now. */
export async function createTestZoneCa(trustDomain: string): Promise<TestZoneCa> {
  const keys = await generateEcKeyPair();
  const now = Date.now();
  const validity = { notBefore: new Date(now - hourMs), notAfter: new Date(now + 24 * hourMs) };
  const rootPem = await createSelfSignedCa({ keys, trustDomain, ...validity });
  return {
    trustDomain,
    rootPem,
    issue: async (spiffePath, idTrustDomain = trustDomain) => {
      const leafKeys = await generateEcKeyPair();
      const certificatePem = await issueX509Svid({
        issuerCertificatePem: rootPem,
        issuerKeys: keys,
        subjectPublicKey: leafKeys.publicKey,
        spiffeId: spiffeIdOf(idTrustDomain, spiffePath),
        validity,
      });
      return { certificatePem, privateKeyPem: await privateKeyToPem(leafKeys.privateKey) };
    },
  };
}

/** The directories a sidecar reads, laid out as the operator mounts them. */
export interface SidecarFiles {
  /** SDS resource files (the watched directory of the bootstrap). */
  secretsDirectory: string;
  /** The provider's bundle directory (`<trust-domain>.pem`). */
  bundleDirectory: string;
  /** The SVID's certificate and key. */
  svidDirectory: string;
  /** Writes the SVID files by renames (as a renewal does). */
  writeSvid(svid: { certificatePem: string; privateKeyPem: string }): Promise<void>;
  /** Writes or removes a zone's bundle file, then rewrites Envoy's trust-bundles secret from the directory. */
  setBundle(trustDomain: string, rootPem: string | undefined): Promise<void>;
}

/** Creates the sidecar's directories under `directory` with an SVID and the given bundles. */
export async function createSidecarFiles(
  directory: string,
  svid: { certificatePem: string; privateKeyPem: string },
  bundles: readonly TestZoneCa[],
): Promise<SidecarFiles> {
  const secretsDirectory = join(directory, 'secrets');
  const bundleDirectory = join(directory, 'bundles');
  const svidDirectory = join(directory, 'svid');
  for (const path of [secretsDirectory, bundleDirectory, svidDirectory])
    await mkdir(path, { recursive: true });
  const certificateChainPath = join(svidDirectory, 'cert.pem');
  const privateKeyPath = join(svidDirectory, 'key.pem');
  const files: SidecarFiles = {
    secretsDirectory,
    bundleDirectory,
    svidDirectory,
    writeSvid: async (next) => {
      await writeFileAtomic(privateKeyPath, next.privateKeyPem, { mode: 0o600 });
      await writeFileAtomic(certificateChainPath, next.certificatePem);
    },
    setBundle: async (trustDomain, rootPem) => {
      const path = join(bundleDirectory, trustBundlePemFileName(trustDomain));
      if (rootPem === undefined) await rm(path, { force: true });
      else await writeFileAtomic(path, rootPem);
      await writeTrustBundlesSecret(bundleDirectory, secretsDirectory);
    },
  };
  await files.writeSvid(svid);
  for (const zone of bundles) {
    await writeFile(join(bundleDirectory, trustBundlePemFileName(zone.trustDomain)), zone.rootPem);
  }
  await writeTrustBundlesSecret(bundleDirectory, secretsDirectory);
  await writeFile(
    join(secretsDirectory, secretFileName(svidSecretName)),
    renderEnvoyYaml(svidSecretFile({ certificateChainPath, privateKeyPath })),
  );
  return files;
}

/** Runs `envoy --mode validate -c <configPath>`: whether Envoy accepts it, and its output. */
export async function validateEnvoyConfig(configPath: string): Promise<{ isValid: boolean; output: string }> {
  try {
    const { stdout, stderr } = await runFile(
      testTool('envoy'),
      ['--mode', 'validate', '-c', configPath, '--disable-hot-restart', '-l', 'warning'],
      { timeout: 30_000 },
    );
    return { isValid: true, output: stdout + stderr };
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    return { isValid: false, output: stdout + stderr };
  }
}

/** A running Envoy and its admin interface. */
export interface RunningEnvoy {
  process: ManagedProcess;
  /** `http://127.0.0.1:<port>` of the admin interface. */
  adminUrl: string;
  /** GETs an admin path and returns the body (throws on a non-2xx status). */
  admin(path: string): Promise<string>;
  /** The port a listener (bound to port 0) actually got, from the admin `/listeners`. */
  listenerPort(name: string): Promise<number>;
}

/**
 * Starts Envoy on a rendered bootstrap (admin on port 0, found through --admin-address-path) and
 * waits, bounded, until `/ready` answers LIVE. Hot restart is off, so several Envoys can run at once.
 */
export async function startEnvoy(configPath: string, workDirectory: string): Promise<RunningEnvoy> {
  const adminAddressPath = join(workDirectory, 'admin-address');
  await rm(adminAddressPath, { force: true });
  const process = startManagedProcess('envoy', testTool('envoy'), [
    '-c',
    configPath,
    '--disable-hot-restart',
    '--admin-address-path',
    adminAddressPath,
    '-l',
    'warning',
  ]);
  try {
    const address = await waitFor('the admin address file', process, async () => {
      const text = await readFile(adminAddressPath, 'utf8').catch(() => '');
      return text.trim() === '' ? undefined : text.trim();
    });
    const adminUrl = `http://${address}`;
    const admin = async (path: string): Promise<string> => {
      const response = await fetch(`${adminUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (!response.ok) throw new Error(`admin ${path}: ${response.status} ${body}`);
      return body;
    };
    await waitFor('/ready to answer LIVE', process, async () => {
      const body = await admin('/ready').catch(() => '');
      return body.trim() === 'LIVE' ? true : undefined;
    });
    return {
      process,
      adminUrl,
      admin,
      listenerPort: async (name) => {
        const listeners = JSON.parse(await admin('/listeners?format=json')) as {
          listener_statuses: { name: string; local_address: { socket_address: { port_value: number } } }[];
        };
        const listener = listeners.listener_statuses.find((status) => status.name === name);
        if (listener === undefined) throw new Error(`no listener ${name}`);
        return listener.local_address.socket_address.port_value;
      },
    };
  } catch (error) {
    await process.stop();
    throw error;
  }
}

/**
 * Polls `probe` every 50 ms until it returns a value, for at most `timeoutMs`; fails early, with
 * Envoy's last output, if the process exits.
 */
export async function waitFor<T>(
  what: string,
  process: ManagedProcess,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exitReason = process.exitReason();
    if (exitReason !== undefined) throw new Error(`waiting for ${what}: ${exitReason}`);
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
