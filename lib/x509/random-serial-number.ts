import { randomBytes } from 'node:crypto';

/**
 * A random, positive 128-bit certificate serial number in hex. RFC 5280 and the CA/B baseline want
 * unpredictable serials (at least 64 random bits) so that certificates cannot be pre-computed for a
 * collision attack; the top bit is cleared so the DER INTEGER stays positive and within 20 octets.
 */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}
