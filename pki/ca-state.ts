import { z } from 'zod';

/**
 * One root of the zone, with its key. The first root of `CaState.roots` signs; the others are
 * retired and stay in the bundle only until `removeFromBundleAfter`, the last instant a certificate
 * they signed can still be valid.
 */
export interface StoredRoot {
  certificatePem: string;
  privateKeyPem: string;
  /** ISO 8601; absent on the signing root. */
  removeFromBundleAfter?: string;
  /** The zone rotation that made this root (`CaState.rotationSequence` then); absent: 0. */
  rotationSequence?: number;
}

/**
 * The root a rotation prepared (docs/root-rotation.md): in the zone's bundle from `preparedAt`,
 * so in-zone clients learn it at their next SVID renewal and partners from its announcements, but
 * it signs nothing until it is activated.
 */
export interface PreparedRoot extends StoredRoot {
  /** ISO 8601. */
  preparedAt: string;
}

/** A signed root statement (activation or revocation) as stored: the wire fields, times ISO, signature base64. */
export interface StoredRootActivation {
  trustDomain: string;
  sequence: number;
  previousRootSha256: string;
  rootSha256: string;
  activatedAt: string;
  previousRootRetireAfter: string;
  signature: string;
}

/** A root revocation as stored (see `StoredRootActivation`). */
export interface StoredRootRevocation {
  trustDomain: string;
  rootSha256: string;
  revokedAt: string;
  reason: string;
  signature: string;
  /** ISO 8601: the revoked root's notAfter, after which nobody can trust it anyway and the statement is dropped. */
  forgetAfter: string;
}

/**
 * Everything the zone PKI persists. It is small, changes only on creation and rotation, and is
 * replaced as a whole with compare-and-swap on `version`, so a file or a Kubernetes Secret can hold it.
 */
export interface CaState {
  /** Increments on every write; the compare-and-swap token. */
  version: number;
  /** The bundle's `spiffe_sequence` as of the last write (see `bundleSequence`). */
  sequence: number;
  /** Signing root first; it also signs the zone's WITs. */
  roots: StoredRoot[];
  /** The root prepared for the next rotation, if any. */
  nextRoot?: PreparedRoot | undefined;
  /** The last rotation sequence given to a root; absent: 0. */
  rotationSequence?: number;
  /** The latest activation, kept so that it can be posted to contracts again. */
  lastActivation?: StoredRootActivation | undefined;
  /** Revocations of the zone's own roots (emergency or cancelled rotations), public, kept to serve again. */
  rootRevocations?: StoredRootRevocation[];
}

const isoTime = z.iso.datetime();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const rotationSequence = z.number().int().nonnegative();

const storedRootFields = {
  certificatePem: z.string().min(1),
  privateKeyPem: z.string().min(1),
  removeFromBundleAfter: isoTime.exactOptional(),
  rotationSequence: rotationSequence.exactOptional(),
};

/**
 * The stored shape of `CaState`, the one parser of both stores. Strict, so a state written by a
 * newer version with fields this one does not know is refused rather than rewritten without them.
 */
const caStateSchema = z
  .object({
    version: z.number().int().positive(),
    sequence: z.number().int().nonnegative(),
    roots: z.array(z.object(storedRootFields).strict()).min(1),
    nextRoot: z
      .object({ ...storedRootFields, preparedAt: isoTime })
      .strict()
      .exactOptional(),
    rotationSequence: rotationSequence.exactOptional(),
    lastActivation: z
      .object({
        trustDomain: z.string().min(1),
        sequence: z.number().int().positive(),
        previousRootSha256: sha256,
        rootSha256: sha256,
        activatedAt: isoTime,
        previousRootRetireAfter: isoTime,
        signature: z.base64(),
      })
      .strict()
      .exactOptional(),
    rootRevocations: z
      .array(
        z
          .object({
            trustDomain: z.string().min(1),
            rootSha256: sha256,
            revokedAt: isoTime,
            reason: z.string(),
            signature: z.base64(),
            forgetAfter: isoTime,
          })
          .strict(),
      )
      .exactOptional(),
    /**
     * Written by versions that signed WITs with a key of their own; ignored and dropped at the next
     * write, so a zone upgraded in place keeps its roots (WITs are now signed by the signing root).
     */
    witSigningKeyPem: z.string().optional(),
  })
  .strict()
  .transform(({ witSigningKeyPem: _ignored, ...state }) => state);

/**
 * Reads a stored CA state (parsed JSON), or lists precisely what is wrong with it. The problems
 * name fields only: a parser's message could quote private key material.
 */
export function parseCaState(document: unknown): CaState | { problems: string[] } {
  const result = caStateSchema.safeParse(document);
  if (result.success) return result.data;
  return {
    problems: result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  };
}
