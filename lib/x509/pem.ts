import { InvalidArgumentError } from '../errors/accord-error.js';

const blockPattern = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes every PEM block labelled `label` (RFC 7468), in order. Blocks with other labels and text
 * between blocks are skipped, so a file holding a certificate and its key can be read twice.
 * PEM arrives from users, config and the wire, so anything malformed throws `InvalidArgumentError`
 * instead of being silently dropped: a half-read bundle would narrow or confuse trust.
 */
export function pemToDerList(pem: string, label = 'CERTIFICATE'): Uint8Array[] {
  const ders: Uint8Array[] = [];
  const beginCount = pem.match(/-----BEGIN /g)?.length ?? 0;
  let blockCount = 0;
  for (const match of pem.matchAll(blockPattern)) {
    blockCount += 1;
    const [, beginLabel = '', body = '', endLabel = ''] = match;
    if (beginLabel !== endLabel) {
      throw new InvalidArgumentError(`invalid PEM: block "${beginLabel}" ends with "${endLabel}"`);
    }
    if (beginLabel !== label) continue;
    const base64 = body.replace(/\s+/g, '');
    if (base64.length === 0 || base64.length % 4 !== 0 || !base64Pattern.test(base64)) {
      throw new InvalidArgumentError(`invalid PEM: block "${label}" is not valid base64`);
    }
    ders.push(new Uint8Array(Buffer.from(base64, 'base64')));
  }
  if (blockCount !== beginCount) throw new InvalidArgumentError('invalid PEM: a block is not terminated');
  if (ders.length === 0) throw new InvalidArgumentError(`invalid PEM: no "${label}" block found`);
  return ders;
}

/** Encodes DER as one PEM block with 64-character lines, the form openssl and Envoy expect. */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * Several PEM blocks as one file's text, each ending with a newline. PEM strings from
 * `@peculiar/x509` end without one, and OpenSSL (Node TLS, Envoy) skips a block whose END line runs
 * into the next BEGIN: a plain concatenation of two roots trusts only one of them.
 */
export function concatenatePems(pems: readonly string[]): string {
  return pems.map((pem) => `${pem.trim()}\n`).join('');
}
