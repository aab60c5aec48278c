import { createHash } from 'node:crypto';

/**
 * Lower-case hex SHA-256 of a DER encoding: the fingerprint contracts use to name a zone's root
 * (`Participant.hash`) and the form logs use instead of whole certificates.
 */
export function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}
