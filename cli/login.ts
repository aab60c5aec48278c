import { basename, extname, resolve } from 'node:path';
import { UsageError } from '../lib/cli/command-line.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import {
  chooseConfigFile,
  configRelativePath,
  formatAccordctlConfig,
  readAccordctlConfig,
  type AccordctlConfig,
} from './accordctl-config.js';
import { readCallerSigner } from './caller-identity.js';
import type { CliEnvironment } from './cli-environment.js';
import { readInput, readSecretInput } from './read-input.js';
import { concatenatePems } from '../lib/x509/pem.js';

/** What `accordctl login` was asked, as given on the command line. */
export interface LoginRequest {
  /** `--config`: the config file to write (else `$ACCORDCTL_CONFIG`, else the default file). */
  config: string | undefined;
  /** `--pki`: the zone PKI, host:port (else the config file's `pki.address`). */
  pki: string | undefined;
  /** `--pki-ca`: roots the PKI's certificate chains to (else the config file's `pki.ca`). */
  pkiCa: string | undefined;
  /** `--token-file`: the bootstrap token's file, `-` for stdin. */
  tokenFile: string | undefined;
  /** `--repository` and `--ca`, written into the config file for the contract commands. */
  repository: string | undefined;
  ca: string | undefined;
  /** `--renew`: get a new SVID even though the current one is valid. */
  isRenewing: boolean;
}

/** What `accordctl login` did, as printed with `-o json`. */
export interface LoginOutcome {
  action: 'enrolled' | 'renewed' | 'unchanged';
  spiffeId: string;
  /** The SPIFFE ID of the SVID replaced, when it was another one. */
  previousSpiffeId: string | null;
  notAfter: string;
  configFile: string;
  certificateFile: string;
  keyFile: string;
  /** The repository the contract commands will use with this config, if one is set. */
  repository: string | null;
}

/** A usable SVID found in the configured files. */
export interface HeldSvid {
  readonly spiffeId: string;
  readonly notAfter: Date;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/** The SVID found in the configured files, or why there is none to use (and whose it was). */
export type CurrentSvid = HeldSvid | { readonly problem: string; readonly spiffeId?: string };

/** What a login has to do: keep the held SVID, or one SignCSR authenticated with it or the token. */
export type LoginPlan =
  | { readonly kind: 'unchanged'; readonly held: HeldSvid }
  | { readonly kind: 'renew'; readonly held: HeldSvid }
  | { readonly kind: 'enrol' };

/**
 * Decides a login: a valid SVID is kept (a re-run changes nothing) unless `--renew`, which
 * authenticates with that SVID; without a valid SVID only a bootstrap token can get one.
 */
export function loginPlan(
  current: CurrentSvid,
  request: { isRenewing: boolean; hasToken: boolean },
): LoginPlan {
  if ('problem' in current) {
    if (!request.hasToken)
      throw new UsageError(
        `${current.problem}: --token-file is required to log in (the bootstrap token's file, or - for stdin)`,
      );
    return { kind: 'enrol' };
  }
  return { kind: request.isRenewing ? 'renew' : 'unchanged', held: current };
}

/**
 * `accordctl login`: gets the administrator's X509-SVID from the zone PKI with a bootstrap token
 * (a fresh key and CSR, `requestSvid` as every component does), writes the key (0600), the SVID,
 * the PKI's roots and an AccordctlConfig pointing at them, and on a re-run keeps a valid SVID
 * (`--renew` replaces it, authenticated with itself). The key is written before the certificate,
 * so an interrupted login leaves a pair that does not match, which the next run replaces.
 */
export async function login(env: CliEnvironment, request: LoginRequest): Promise<LoginOutcome> {
  const { path: configFile } = chooseConfigFile(request.config, env);
  const existing = (await env.fileExists(configFile))
    ? await readAccordctlConfig({ path: configFile, isNamed: true }, env)
    : undefined;
  const stem = basename(configFile, extname(configFile));
  const cert = existing?.cert ?? `${stem}-svid.pem`;
  const key = existing?.key ?? `${stem}-key.pem`;
  const certificateFile = configRelativePath(configFile, cert);
  const keyFile = configRelativePath(configFile, key);
  const current = await currentSvid(env, certificateFile, keyFile);
  const plan = loginPlan(current, {
    isRenewing: request.isRenewing,
    hasToken: request.tokenFile !== undefined,
  });
  let svid: { spiffeId: string; notAfter: Date };
  let pki = existing?.pki;
  if (plan.kind === 'unchanged') {
    svid = plan.held;
  } else {
    const address = request.pki ?? existing?.pki?.address;
    const pkiCaFile =
      request.pkiCa !== undefined
        ? resolve(request.pkiCa)
        : existing?.pki === undefined
          ? undefined
          : configRelativePath(configFile, existing.pki.ca);
    if (address === undefined) throw new UsageError("--pki is required: your zone PKI's host:port");
    if (pkiCaFile === undefined)
      throw new UsageError("--pki-ca is required: the roots your zone PKI's certificate chains to");
    const credential =
      plan.kind === 'renew'
        ? plan.held
        : { bootstrapToken: await readSecretInput(env, request.tokenFile ?? '-', 'bootstrap token') };
    const issued = await env.requestSvid({
      pkiAddress: address,
      pkiRootsPem: [await readInput(env, pkiCaFile)],
      credential,
    });
    const pkiRoots = `${stem}-pki-roots.pem`;
    await env.writeFileAtomic(keyFile, issued.privateKeyPem);
    await env.writeFileAtomic(certificateFile, issued.certificatePem);
    await env.writeFileAtomic(configRelativePath(configFile, pkiRoots), concatenatePems(issued.rootsPem));
    svid = issued;
    pki = { address, ca: pkiRoots };
  }
  const config: AccordctlConfig = {
    ...existing,
    ...(request.repository === undefined ? {} : { repository: request.repository }),
    ...(request.ca === undefined ? {} : { ca: resolve(request.ca) }),
    cert,
    key,
    ...(pki === undefined ? {} : { pki }),
  };
  if (existing === undefined || formatAccordctlConfig(config) !== formatAccordctlConfig(existing)) {
    await env.writeFileAtomic(configFile, formatAccordctlConfig(config));
  }
  const previousSpiffeId = current.spiffeId ?? null;
  return {
    action: plan.kind === 'unchanged' ? 'unchanged' : plan.kind === 'renew' ? 'renewed' : 'enrolled',
    spiffeId: svid.spiffeId,
    previousSpiffeId: previousSpiffeId === svid.spiffeId ? null : previousSpiffeId,
    notAfter: svid.notAfter.toISOString(),
    configFile,
    certificateFile,
    keyFile,
    repository: config.repository ?? null,
  };
}

async function currentSvid(
  env: CliEnvironment,
  certificateFile: string,
  keyFile: string,
): Promise<CurrentSvid> {
  if (!(await env.fileExists(certificateFile))) return { problem: `no certificate at ${certificateFile}` };
  let signer;
  try {
    signer = await readCallerSigner(env, { certPath: certificateFile, keyPath: keyFile }, 'log in');
  } catch (error) {
    return { problem: `the certificate at ${certificateFile} cannot be used (${errorMessage(error)})` };
  }
  const spiffeId = signer.spiffeId.uri;
  const notAfter = new Date(signer.leaf.validTo);
  if (notAfter <= env.clock.now())
    return {
      problem: `the certificate at ${certificateFile} expired at ${notAfter.toISOString()}`,
      spiffeId,
    };
  return {
    spiffeId,
    notAfter,
    certificatePem: await readInput(env, certificateFile),
    privateKeyPem: await readInput(env, keyFile),
  };
}

/** `login` for people: what happened, the identity, and where the files are. */
export function formatLoginOutcome(outcome: LoginOutcome): string {
  const validity = `certificate valid until ${outcome.notAfter}`;
  const lines = {
    enrolled: `Logged in as ${outcome.spiffeId}; ${validity}.`,
    renewed: `Renewed the certificate of ${outcome.spiffeId}; ${validity}.`,
    unchanged: `Already logged in as ${outcome.spiffeId}; ${validity}. Nothing to do (--renew gets a new certificate).`,
  };
  const changed =
    outcome.previousSpiffeId === null ? '' : `The previous certificate was ${outcome.previousSpiffeId}'s.\n`;
  const hint =
    outcome.repository !== null
      ? ''
      : 'Add --repository HOST:PORT --ca FILE to use the contracts commands without flags.\n';
  return `${lines[outcome.action]}\n${changed}Config: ${outcome.configFile} (key ${outcome.keyFile}, mode 0600)\n${hint}`;
}
