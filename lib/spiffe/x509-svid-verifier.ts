import { makeRoomForOne } from '../cache/make-room.js';
import { createHash, X509Certificate } from 'node:crypto';
import { verifyX509Svid, type TrustBundleSet, type VerifiedSvid } from './x509-svid.js';

/** Enough for every caller of a busy server; beyond it the oldest verdict goes first. */
const defaultMaxVerdicts = 4096;

/**
 * `verifyX509Svid` for servers that see the same client certificates on every call. Parsing a DER
 * certificate costs about 0.2 ms and checking its signature about 0.1 ms here, a large share of a
 * cheap RPC, while the verdict depends only on the certificate, the bundles and the time. So a
 * success is remembered, keyed by the SHA-256 of the certificate's DER (computed here, never
 * taken from the caller) and valid only for the bundle set it was reached with: a different
 * bundle set object (reloaded enrolled roots: a new generation) drops every verdict. The time is
 * still checked on every call against the window in which the leaf and its issuing root are both
 * valid; outside it the certificate is verified again from scratch, which refuses it with the
 * precise reason. Failures are never remembered.
 */
export class X509SvidVerifier {
  readonly #maxVerdicts: number;
  readonly #verdicts = new Map<string, VerifiedSvid>();
  #bundles: TrustBundleSet | undefined;

  constructor(maxVerdicts = defaultMaxVerdicts) {
    this.#maxVerdicts = maxVerdicts;
  }

  /** Verifies the DER leaf `leafDer` against `bundles` at `now`; throws `UnauthenticatedError` to refuse it. */
  verify(leafDer: Uint8Array, bundles: TrustBundleSet, now: Date): VerifiedSvid {
    if (bundles !== this.#bundles) {
      this.#verdicts.clear();
      this.#bundles = bundles;
    }
    const fingerprint = createHash('sha256').update(leafDer).digest('base64');
    const cached = this.#verdicts.get(fingerprint);
    const nowMs = now.getTime();
    if (cached !== undefined) {
      if (cached.validFromMs <= nowMs && nowMs <= cached.validUntilMs) return cached;
      this.#verdicts.delete(fingerprint);
    }
    const verified = verifyX509Svid(new X509Certificate(leafDer), bundles, now);
    makeRoomForOne(this.#verdicts, this.#maxVerdicts);
    this.#verdicts.set(fingerprint, verified);
    return verified;
  }
}
