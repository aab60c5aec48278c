/**
 * Bounds on every contract input, shared by the repository (which enforces them on the wire) and
 * accordctl (which checks before sending), so an oversized input fails early and identically.
 */
export const contractLimits = {
  /** Participants per contract: enough for any real federation, small enough to bound verification work. */
  maxParticipants: 32,
  /** Bytes of one participant root PEM; a P-256 or RSA-4096 root is far below this. */
  maxRootPemBytes: 16 * 1024,
  /** Certificates in an approval's chain: the signer, optionally followed by the participant root. */
  maxChainCertificates: 2,
  /** Bytes of one DER certificate in an approval chain. */
  maxCertificateDerBytes: 16 * 1024,
  /** Characters of a revocation reason. */
  maxRevocationReasonLength: 1024,
  /** Length of a contract id or participant name: one DNS label. */
  maxDnsLabelLength: 63,
} as const;
