import { makeRoomForOne } from '../lib/cache/make-room.js';
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { systemClock, type Clock } from '../lib/time/clock.js';

/**
 * HTTP Basic on both edges of the translator: outbound it authenticates the local client against
 * a user file of scrypt hashes (RFC 7914, in node:crypto, so no native dependency); inbound it
 * replaces the verified caller with the Basic credentials the local API knows for it.
 */

/** scrypt cost parameters accepted in a user file; larger N would let a file exhaust memory. */
const maxScryptCost = 2 ** 20;
const defaultScrypt = { cost: 2 ** 14, blockSize: 8, parallelization: 1 };
const hashPattern = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

/** A parsed `scrypt$N$r$p$salt$hash` entry (salt and hash base64url). */
interface ScryptHash {
  cost: number;
  blockSize: number;
  parallelization: number;
  salt: Buffer;
  hash: Buffer;
}

function scryptAsync(
  password: string,
  salt: Buffer,
  length: number,
  options: ScryptOptions,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}

function scryptOptions(hash: Pick<ScryptHash, 'cost' | 'blockSize' | 'parallelization'>): ScryptOptions {
  return {
    N: hash.cost,
    r: hash.blockSize,
    p: hash.parallelization,
    maxmem: 256 * hash.cost * hash.blockSize + 1024 * 1024,
  };
}

/**
 * Hashes a password for a user file: `scrypt$N$r$p$<salt>$<hash>`. What an operator runs to add
 * a user; the translator only verifies.
 */
export async function hashBasicPassword(password: string, salt: Buffer = randomBytes(16)): Promise<string> {
  const hash = await scryptAsync(password, salt, 32, scryptOptions(defaultScrypt));
  const { cost, blockSize, parallelization } = defaultScrypt;
  return `scrypt$${cost}$${blockSize}$${parallelization}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

function parseScryptHash(text: string, user: string): ScryptHash {
  const match = hashPattern.exec(text);
  if (match === null) throw new Error(`user ${user}: the hash is not scrypt$N$r$p$salt$hash`);
  const [cost, blockSize, parallelization] = [match[1], match[2], match[3]].map(Number) as [
    number,
    number,
    number,
  ];
  if (cost < 2 || cost > maxScryptCost || (cost & (cost - 1)) !== 0)
    throw new Error(`user ${user}: scrypt N must be a power of two up to ${maxScryptCost}`);
  if (blockSize < 1 || blockSize > 32 || parallelization < 1 || parallelization > 16)
    throw new Error(`user ${user}: scrypt r or p out of range`);
  const salt = Buffer.from(match[4] ?? '', 'base64url');
  const hash = Buffer.from(match[5] ?? '', 'base64url');
  if (salt.length < 8 || hash.length < 16) throw new Error(`user ${user}: salt or hash too short`);
  return { cost, blockSize, parallelization, salt, hash };
}

const basicUsersFileSchema = z
  .object({
    users: z.record(
      z
        .string()
        .min(1)
        .regex(/^[^:]+$/, 'a user name has no colon'),
      z.string(),
    ),
  })
  .strict();

/** How `BasicUserStore` remembers credentials it has verified. */
export interface VerifiedCredentialCacheOptions {
  readonly clock?: Clock;
  /** How long a verified user and password skip scrypt; 0 turns the cache off. Default 60 s. */
  readonly ttlMs?: number;
  /** Most credentials remembered; the oldest is forgotten first. Default 1024. */
  readonly maxEntries?: number;
}

/**
 * The local users the outbound translator accepts, with their scrypt hashes. scrypt costs ~50 ms
 * of CPU by design, which would cap a translator at ~20 requests/s per core if every request paid
 * it, so a verified (user, password) is remembered for a short time, as Apache's
 * mod_authn_socache does: keyed by an HMAC under a per-process random key (the cache holds no
 * crackable password hash), bounded, and only for successes, so every wrong guess still pays the
 * full cost. A changed user file builds a new store, which forgets everything.
 */
export class BasicUserStore {
  readonly #hashes: ReadonlyMap<string, ScryptHash>;
  /** Verified against for unknown users, so an unknown name costs as much as a wrong password. */
  readonly #decoy: ScryptHash;
  readonly #clock: Clock;
  readonly #cacheTtlMs: number;
  readonly #cacheMaxEntries: number;
  readonly #cacheKey = randomBytes(32);
  /** HMAC of user and password → when the verification expires (ms since the epoch). */
  readonly #verified = new Map<string, number>();

  private constructor(
    hashes: ReadonlyMap<string, ScryptHash>,
    decoy: ScryptHash,
    cache: VerifiedCredentialCacheOptions,
  ) {
    this.#hashes = hashes;
    this.#decoy = decoy;
    this.#clock = cache.clock ?? systemClock;
    this.#cacheTtlMs = cache.ttlMs ?? 60_000;
    this.#cacheMaxEntries = cache.maxEntries ?? 1024;
  }

  /** Parses a user file (YAML or JSON: `users: {name: scrypt$…}`); throws naming the bad entry. */
  static async parse(text: string, cache: VerifiedCredentialCacheOptions = {}): Promise<BasicUserStore> {
    const file = basicUsersFileSchema.parse(parseYaml(text));
    const hashes = new Map(
      Object.entries(file.users).map(([user, hash]) => [user, parseScryptHash(hash, user)]),
    );
    const decoy = parseScryptHash(await hashBasicPassword(randomBytes(16).toString('hex')), 'decoy');
    return new BasicUserStore(hashes, decoy, cache);
  }

  get size(): number {
    return this.#hashes.size;
  }

  /** Whether `password` is `user`'s; constant time in the hash comparison. */
  async verify(user: string, password: string): Promise<boolean> {
    const cacheKey = createHmac('sha256', this.#cacheKey)
      .update(user)
      .update('\0')
      .update(password)
      .digest('base64');
    const nowMs = this.#clock.now().getTime();
    const verifiedUntil = this.#verified.get(cacheKey);
    if (verifiedUntil !== undefined && verifiedUntil > nowMs) return true;
    this.#verified.delete(cacheKey);
    const known = this.#hashes.get(user);
    const entry = known ?? this.#decoy;
    const derived = await scryptAsync(password, entry.salt, entry.hash.length, scryptOptions(entry));
    const isValid = timingSafeEqual(derived, entry.hash) && known !== undefined;
    if (isValid && this.#cacheTtlMs > 0) this.#remember(cacheKey, nowMs + this.#cacheTtlMs);
    return isValid;
  }

  #remember(cacheKey: string, untilMs: number): void {
    makeRoomForOne(this.#verified, this.#cacheMaxEntries);
    this.#verified.set(cacheKey, untilMs);
  }
}

/** User and password of an `Authorization: Basic …` header (RFC 7617), or undefined if it is not one. */
export function parseBasicAuthorization(
  header: string | undefined,
): { user: string; password: string } | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The `Authorization` value for Basic credentials. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

const mappedCaller = {
  /** The calling workload's SPIFFE ID, from its verified WIT. */
  workload: z.string().startsWith('spiffe://'),
  /** The user the caller acts for (Accord's user header); absent maps every call of the workload. */
  user: z.string().min(1).optional(),
};

const inboundCredentialsFileSchema = z
  .object({
    mappings: z.array(
      z.union([
        z
          .object({
            ...mappedCaller,
            /** The Basic credentials of the local API to present instead. */
            username: z
              .string()
              .min(1)
              .regex(/^[^:]+$/),
            password: z.string(),
          })
          .strict(),
        z
          .object({
            ...mappedCaller,
            /** The local OIDC subject to mint a token for (`inbound.tokenIssuer`). */
            subject: z.string().min(1),
          })
          .strict(),
      ]),
    ),
  })
  .strict();

/** What the local API gets for a verified caller: Basic credentials, or a token minted for a subject. */
export type LocalCredential =
  { scheme: 'basic'; authorization: string } | { scheme: 'token'; subject: string };

/**
 * The inbound mapping: (verified workload, user) → the local API's credential. A mapping naming
 * the user wins over the workload's catch-all one; no mapping means the call is refused.
 */
export class InboundCredentialMap {
  readonly #byKey: ReadonlyMap<string, LocalCredential>;

  private constructor(byKey: ReadonlyMap<string, LocalCredential>) {
    this.#byKey = byKey;
  }

  /**
   * Parses a mapping file (YAML or JSON: `mappings: [{workload, user?, username, password}]`, or
   * `{workload, user?, subject}` for a minted token).
   */
  static parse(text: string): InboundCredentialMap {
    const file = inboundCredentialsFileSchema.parse(parseYaml(text));
    const byKey = new Map<string, LocalCredential>();
    for (const mapping of file.mappings) {
      const key = mappingKey(mapping.workload, mapping.user);
      if (byKey.has(key))
        throw new Error(`duplicate mapping for ${mapping.workload} ${mapping.user ?? '(any user)'}`);
      byKey.set(
        key,
        'subject' in mapping
          ? { scheme: 'token', subject: mapping.subject }
          : { scheme: 'basic', authorization: basicAuthorization(mapping.username, mapping.password) },
      );
    }
    return new InboundCredentialMap(byKey);
  }

  /** The credential for `workload` acting for `user`, or undefined when none is mapped. */
  credentialFor(workload: string, user: string | undefined): LocalCredential | undefined {
    return (
      (user === undefined ? undefined : this.#byKey.get(mappingKey(workload, user))) ??
      this.#byKey.get(mappingKey(workload, undefined))
    );
  }
}

function mappingKey(workload: string, user: string | undefined): string {
  return user === undefined ? `${workload} *` : `${workload} =${user}`;
}
