import 'reflect-metadata';
import type { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ecdsaP256, generateEcKeyPair } from '../../lib/x509/generate-ec-key-pair.js';
import { privateKeyToPem } from '../../lib/x509/private-key-pem.js';
import { randomSerialNumber } from '../../lib/x509/random-serial-number.js';

/** A certificate with its private key, both PEM: what kube-apiserver flags and kubeconfigs take. */
export interface KubeKeyPair {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

/**
 * A test cluster's CA (the kubeadm `ca.crt` role): it signs the API server's serving certificate
 * and every client certificate, so one PEM is both the kubeconfig's `certificate-authority-data`
 * and the API server's `--client-ca-file`.
 */
export interface KubeClusterCa extends KubeKeyPair {
  readonly keys: webcrypto.CryptoKeyPair;
}

/** A day of validity from a minute ago: longer than any test run, tolerant of a little clock skew. */
function validity(): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 24 * 3_600_000) };
}

/** Creates a fresh cluster CA; a new one per API server keeps two test clusters' identities apart. */
export async function createKubeClusterCa(clusterName: string): Promise<KubeClusterCa> {
  const keys = await generateEcKeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: [`${clusterName} test cluster CA`] }],
    ...validity(),
    keys,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    keys,
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await privateKeyToPem(keys.privateKey),
  };
}

async function issueLeaf(
  ca: KubeClusterCa,
  name: x509.JsonName,
  usage: x509.ExtendedKeyUsage,
  alternativeNames: x509.JsonGeneralNames,
): Promise<KubeKeyPair> {
  const keys = await generateEcKeyPair();
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: name,
    issuer: new x509.X509Certificate(ca.certificatePem).subject,
    ...validity(),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([usage]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...(alternativeNames.length === 0 ? [] : [new x509.SubjectAlternativeNameExtension(alternativeNames)]),
    ],
  });
  return {
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await privateKeyToPem(keys.privateKey),
  };
}

/** The names a serving certificate is valid for. */
export interface ServingNames {
  readonly ips: readonly string[];
  readonly dnsNames: readonly string[];
}

/** The loopback names clients of an API server on 127.0.0.1 dial. */
const loopbackNames: ServingNames = { ips: ['127.0.0.1'], dnsNames: ['localhost'] };

/**
 * A serving certificate: the API server's (by default valid for the loopback names clients dial)
 * or, with `commonName` and `names`, a kubelet's.
 */
export async function issueKubeServingCertificate(
  ca: KubeClusterCa,
  names: ServingNames = loopbackNames,
  commonName = 'kube-apiserver',
): Promise<KubeKeyPair> {
  return issueLeaf(ca, [{ CN: [commonName] }], x509.ExtendedKeyUsage.serverAuth, [
    ...names.ips.map((value) => ({ type: 'ip' as const, value })),
    ...names.dnsNames.map((value) => ({ type: 'dns' as const, value })),
  ]);
}

/**
 * A client certificate for Kubernetes' x509 authenticator, which reads the user name from the
 * subject CN and the groups from the O attributes (`system:masters` bypasses RBAC).
 */
export async function issueKubeClientCertificate(
  ca: KubeClusterCa,
  user: string,
  groups: readonly string[],
): Promise<KubeKeyPair> {
  const name: x509.JsonName = [{ CN: [user] }, ...groups.map((group) => ({ O: [group] }))];
  return issueLeaf(ca, name, x509.ExtendedKeyUsage.clientAuth, []);
}
