/**
 * Every reason the translator refuses a credential or a request. The strings are stable: metrics
 * count decisions by reason and operators alert on them, so a reason is never renamed, only added.
 * Prefixes say which layer refused: `wit_` the Workload Identity Token, `signature_` the RFC 9421
 * message signature, `digest_` the body's Content-Digest, `nonce_` replay protection.
 */
export type RejectionReason =
  | 'wit_missing'
  | 'wit_malformed'
  | 'wit_bad_type'
  | 'wit_alg_not_allowed'
  | 'wit_bad_subject'
  | 'wit_untrusted_domain'
  | 'wit_unknown_key'
  | 'wit_bad_signature'
  | 'wit_expired'
  | 'wit_not_yet_valid'
  | 'wit_claims_invalid'
  | 'wit_bad_confirmation_key'
  | 'signature_missing'
  | 'signature_malformed'
  | 'signature_component_missing'
  | 'signature_param_missing'
  | 'signature_param_forbidden'
  | 'signature_bad_tag'
  | 'signature_expired'
  | 'signature_not_yet_valid'
  | 'signature_lifetime_too_long'
  | 'signature_mismatch'
  | 'audience_mismatch'
  | 'digest_missing'
  | 'digest_mismatch'
  | 'nonce_replayed'
  | 'nonce_cache_full';

/**
 * A refusal with its stable `reason`. The message may carry detail for the log; it never goes
 * into a response body (the ext_authz server answers with a status only).
 */
export class TranslatorRejection extends Error {
  override readonly name = 'TranslatorRejection';

  constructor(
    readonly reason: RejectionReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Throws a `TranslatorRejection`; an expression, so checks read as `cond || reject(...)`. */
export function reject(reason: RejectionReason, message: string, cause?: unknown): never {
  throw new TranslatorRejection(reason, message, cause === undefined ? undefined : { cause });
}
