import type { MeshWorkload } from '../mesh-workload/mesh-workload.js';

/** The key each kind of Secret a MeshWorkload names must hold (the CRD's descriptions say the same). */
export const workloadSecretKeys = {
  /** The translator's inbound mapping file (`mappings: [...]`). */
  inboundCredentials: 'credentials.yaml',
  /** The local issuer's PKCS#8 PEM signing key. */
  signingKey: 'signing-key.pem',
  /** The translator's outbound user file (`users: {name: scrypt$...}`). */
  outboundUsers: 'users.yaml',
} as const;

/** What the translator reads from one Secret of the workload's namespace. */
export interface WorkloadSecretFile {
  /** Which translator input it is. */
  purpose: 'inboundCredentials' | 'signingKey' | 'outboundUsers';
  secretName: string;
  key: string;
  /** The pod volume (one per Secret, only this key projected). */
  volumeName: string;
  /** Where the translator container sees the volume. */
  mountPath: string;
  /** The file the translator config points at: `<mountPath>/<key>`. */
  path: string;
}

const mountRoot = '/var/run/accord';

function secretFile(
  purpose: WorkloadSecretFile['purpose'],
  secretName: string,
  volumeName: string,
): WorkloadSecretFile {
  const key = workloadSecretKeys[purpose];
  const mountPath = `${mountRoot}/${volumeName.replace(/^accord-/, '')}`;
  return { purpose, secretName, key, volumeName, mountPath, path: `${mountPath}/${key}` };
}

/**
 * The Secrets a MeshWorkload's translator reads and where it reads them: the one source for both
 * the injected pod's volumes (inject-pod.ts) and the paths in the rendered translator.yaml
 * (operator/mesh-workload), so the two cannot disagree.
 */
export function workloadSecretFiles(workload: MeshWorkload): WorkloadSecretFile[] {
  const files: WorkloadSecretFile[] = [];
  const { inbound, outbound } = workload;
  if (inbound.type === 'basic') {
    files.push(secretFile('inboundCredentials', inbound.usersSecretName, 'accord-inbound-credentials'));
  }
  if (inbound.type === 'oidc') {
    files.push(
      secretFile('inboundCredentials', inbound.mappingsSecretName, 'accord-inbound-credentials'),
      secretFile('signingKey', inbound.signingKeySecretName, 'accord-inbound-signing-key'),
    );
  }
  if (outbound.type === 'basic') {
    files.push(secretFile('outboundUsers', outbound.usersSecretName, 'accord-outbound-users'));
  }
  return files;
}
