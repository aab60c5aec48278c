import type { MessageInitShape } from '@bufbuild/protobuf';
import { HeaderValueOption_HeaderAppendAction } from '../proto/gen/envoy/config/core/v3/base_pb.js';
import type {
  CheckRequest,
  CheckResponseSchema,
} from '../proto/gen/envoy/service/auth/v3/external_auth_pb.js';
import { StatusCode } from '../proto/gen/envoy/type/v3/http_status_pb.js';
import { directionContextKey } from '../lib/sidecar/sidecar-secret-names.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { boundMessage, quoteUntrusted } from '../lib/errors/quote-untrusted.js';
import type { Logger } from '../lib/log/logger.js';
import { parseSpiffeId } from '../lib/spiffe/spiffe-id.js';
import {
  parseBasicAuthorization,
  type BasicUserStore,
  type InboundCredentialMap,
} from './basic-credentials.js';
import type { HttpRequestMessage } from './http-message.js';
import { mintLocalToken, type LocalTokenIssuer } from './oidc-tokens.js';
import { signRequest, type RequestSigner } from './sign-request.js';
import { TranslatorRejection, type RejectionReason } from './translator-rejection.js';
import type { MetricDirection, TranslatorMetrics } from './translator-metrics.js';
import { verifySignedRequest, type SignedRequestVerification } from './verify-signed-request.js';
import { workloadIdentityTokenHeader } from './wimse-profile.js';

/** The header carrying the user a workload acts for; signed outbound, so nobody on the way can change it. */
export const userIdentityHeader = 'accord-user';
/** Set on every allowed inbound request: the verified caller's SPIFFE ID (whatever the caller sent is replaced). */
export const callerWorkloadHeader = 'accord-workload';

/** Why a request was denied: the security core's reasons plus the translator's own. Stable strings. */
export type DecisionReason =
  | RejectionReason
  | 'basic_missing'
  | 'basic_invalid'
  | 'bearer_invalid'
  | 'token_issuer_missing'
  | 'destination_unknown'
  | 'wit_unavailable'
  | 'peer_missing'
  | 'peer_not_allowed'
  | 'credential_unmapped'
  | 'direction_unknown'
  | 'request_malformed'
  | 'response_signing_unsupported';

/** What Envoy should do with a request. */
export type Decision =
  | {
      outcome: 'allow';
      /** Request headers to set (replacing any value) before forwarding. */
      setHeaders: Readonly<Record<string, string>>;
      /** Request headers to drop before forwarding. */
      removeHeaders: readonly string[];
      /** The caller, for the log: a local user outbound, a SPIFFE ID inbound. */
      caller: string;
    }
  | {
      outcome: 'deny';
      status: DenialStatus;
      reason: DecisionReason;
      /** For the log only; never sent to the client. */
      detail: string;
      /** Response headers (the Basic challenge on 401). */
      responseHeaders: Readonly<Record<string, string>>;
    };

/**
 * The statuses a denial uses: 401 for the local credential (with a challenge), 403 for everything
 * inbound, 501 for a request whose client requires a signed response, which Accord does not
 * produce (draft-ietf-wimse-http-signature, "Error Conditions": 400 or 501).
 */
export type DenialStatus = 401 | 403 | 501;

function deny(
  status: DenialStatus,
  reason: DecisionReason,
  detail: string,
  challenge = 'Basic realm="accord", charset="UTF-8"',
): Decision {
  return {
    outcome: 'deny',
    status,
    reason,
    detail,
    responseHeaders: status === 401 ? { 'www-authenticate': challenge } : {},
  };
}

/** The outbound side: who may call out, as whom the workload signs, and for which zone. */
export interface OutboundPolicy {
  /** The local users (reloaded when their file changes). */
  users: () => BasicUserStore | undefined;
  /** The workload's current WIT and key, or undefined before the first one arrived. */
  signer: () => RequestSigner | undefined;
  /** The user a local OIDC bearer token names (throws if invalid); absent when only Basic is accepted. */
  bearerUser?: (token: string) => Promise<string>;
  /** `wimse-aud` for a request's Host (port ignored), or undefined for a host of no known zone. */
  audienceForHost: (host: string) => string | undefined;
}

/** The inbound side: whose signed requests count, through which peers, and as which local user. */
export interface InboundPolicy {
  /** The security core's policy (bundles per trust domain, audiences, nonce cache, clock). */
  verification: SignedRequestVerification;
  /** SPIFFE IDs of intermediaries (the zone's ingress gateway) allowed to relay another zone's call. */
  trustedIntermediaries: ReadonlySet<string>;
  /** The mapping to the local API's credentials (reloaded when its file changes). */
  credentials: () => InboundCredentialMap | undefined;
  /** Allow verified calls without a local credential (identity headers only); no mapping is consulted. */
  identityOnly: boolean;
  /** Mints tokens for mappings that name a local OIDC subject; absent when the API takes Basic only. */
  tokenIssuer?: LocalTokenIssuer;
}

/**
 * Outbound: authenticates the local Basic credential, drops it, and attaches the workload's WIT,
 * the user header and a WIMSE signature over the request exactly as it will leave (without
 * `authorization`, with the user header), for the audience of the destination zone.
 */
export async function decideOutbound(request: HttpRequestMessage, policy: OutboundPolicy): Promise<Decision> {
  const authenticated = await authenticateLocal(request.headers.authorization, policy);
  if ('outcome' in authenticated) return authenticated;
  const { user } = authenticated;
  const audience = policy.audienceForHost(hostWithoutPort(request.authority));
  if (audience === undefined)
    return deny(403, 'destination_unknown', `no zone serves ${quoteUntrusted(request.authority)}`);
  const signer = policy.signer();
  if (signer === undefined) return deny(403, 'wit_unavailable', 'the workload has no WIT yet');

  const headers: Record<string, string> = { ...request.headers, [userIdentityHeader]: user };
  delete headers.authorization;
  const signed = signRequest({ ...request, headers }, signer, {
    audience,
    identityHeaders: [userIdentityHeader],
  });
  return {
    outcome: 'allow',
    setHeaders: { [userIdentityHeader]: user, ...signed },
    removeHeaders: ['authorization'],
    caller: user,
  };
}

/** The local caller's user: a valid bearer token of the local issuer (when configured), or Basic. */
async function authenticateLocal(
  authorization: string | undefined,
  policy: OutboundPolicy,
): Promise<{ user: string } | Decision> {
  const bearer = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(authorization ?? '')?.[1];
  if (bearer !== undefined && policy.bearerUser !== undefined) {
    try {
      return { user: await policy.bearerUser(bearer) };
    } catch (error) {
      return deny(401, 'bearer_invalid', errorMessage(error), 'Bearer realm="accord", error="invalid_token"');
    }
  }
  const credentials = parseBasicAuthorization(authorization);
  if (credentials === undefined) return deny(401, 'basic_missing', 'no Basic credentials');
  const users = policy.users();
  if (users === undefined || !(await users.verify(credentials.user, credentials.password)))
    return deny(
      401,
      'basic_invalid',
      `unknown user or wrong password for ${quoteUntrusted(credentials.user)}`,
    );
  return { user: credentials.user };
}

/**
 * Inbound: verifies the WIT and the signature (security core), then that the mTLS peer is a
 * workload of the WIT's zone or a trusted intermediary, then swaps the proof for the local API's
 * Basic credentials mapped to the caller. Everything else is a 403 with its reason.
 */
export async function decideInbound(
  request: HttpRequestMessage,
  peerPrincipal: string,
  policy: InboundPolicy,
): Promise<Decision> {
  if (peerPrincipal === '') return deny(403, 'peer_missing', 'no authenticated mTLS peer');
  let verified;
  try {
    verified = await verifySignedRequest(request, {
      ...policy.verification,
      identityHeaders: [userIdentityHeader],
    });
  } catch (error) {
    if (error instanceof TranslatorRejection) return deny(403, error.reason, error.message);
    throw error;
  }
  const workload = verified.wit.workload;
  if (
    !policy.trustedIntermediaries.has(peerPrincipal) &&
    peerTrustDomain(peerPrincipal) !== workload.trustDomain
  )
    return deny(
      403,
      'peer_not_allowed',
      `peer ${quoteUntrusted(peerPrincipal)} may not relay ${workload.uri}`,
    );
  // The client rejects an unsigned response, and the response passes Envoy, not the translator:
  // refuse instead of letting the application answer (docs/translator.md, "Signed responses").
  if (verified.isSignedResponseRequired)
    return deny(501, 'response_signing_unsupported', `${workload.uri} requires a signed response`);
  const proof = [workloadIdentityTokenHeader, 'signature', 'signature-input'];
  if (policy.identityOnly) {
    // Nothing the caller sent may pass for a credential of this API.
    return {
      outcome: 'allow',
      setHeaders: { [callerWorkloadHeader]: workload.uri },
      removeHeaders: [...proof, 'authorization'],
      caller: workload.uri,
    };
  }
  const user = request.headers[userIdentityHeader];
  const credential = policy.credentials()?.credentialFor(workload.uri, user);
  if (credential === undefined)
    return deny(
      403,
      'credential_unmapped',
      `no local credentials for ${workload.uri} ${user === undefined ? '(no user)' : quoteUntrusted(user)}`,
    );
  let authorization: string;
  if (credential.scheme === 'basic') authorization = credential.authorization;
  else if (policy.tokenIssuer === undefined)
    return deny(403, 'token_issuer_missing', `a token for ${credential.subject} but no tokenIssuer`);
  else authorization = `Bearer ${await mintLocalToken(policy.tokenIssuer, credential.subject, workload.uri)}`;
  return {
    outcome: 'allow',
    setHeaders: { authorization, [callerWorkloadHeader]: workload.uri },
    removeHeaders: proof,
    caller: workload.uri,
  };
}

function peerTrustDomain(principal: string): string | undefined {
  try {
    return parseSpiffeId(principal).trustDomain;
  } catch {
    return undefined;
  }
}

function hostWithoutPort(authority: string): string {
  const host = authority.startsWith('[')
    ? authority.slice(0, authority.indexOf(']') + 1)
    : authority.split(':')[0];
  return (host ?? '').toLowerCase();
}

/**
 * The request Envoy describes, as the security core models it: pseudo-headers dropped (their
 * values are the method, path and authority fields), the body from `raw_body` (with
 * `pack_as_bytes`) or else `body`. Undefined when the CheckRequest carries no HTTP request.
 */
export function httpRequestOfCheck(check: CheckRequest): HttpRequestMessage | undefined {
  const http = check.attributes?.request?.http;
  if (http === undefined || http.method === '' || !http.path.startsWith('/')) return undefined;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(http.headers)) {
    if (!name.startsWith(':')) headers[name.toLowerCase()] = value;
  }
  const body = http.rawBody.byteLength > 0 ? http.rawBody : Buffer.from(http.body, 'utf8');
  return {
    method: http.method,
    scheme: http.scheme === 'https' ? 'https' : 'http',
    authority: http.host,
    target: http.path,
    headers,
    ...(body.byteLength > 0 ? { body } : {}),
  };
}

type CheckResponseInit = MessageInitShape<typeof CheckResponseSchema>;

/** The HTTP status Envoy answers a denial with. */
const deniedStatusCode: Record<DenialStatus, StatusCode> = {
  401: StatusCode.Unauthorized,
  403: StatusCode.Forbidden,
  501: StatusCode.NotImplemented,
};

/** google.rpc.Code values Envoy reads from `CheckResponse.status`. */
const rpcCode = { ok: 0, permissionDenied: 7, unimplemented: 12, unauthenticated: 16 } as const;

/** The google.rpc.Code of a denial's `CheckResponse.status` (Envoy only needs it not to be OK). */
const deniedRpcCode: Record<DenialStatus, number> = {
  401: rpcCode.unauthenticated,
  403: rpcCode.permissionDenied,
  501: rpcCode.unimplemented,
};

/** The CheckResponse for a decision: header changes on allow, a bare status (no reason) on deny. */
export function checkResponseOf(decision: Decision): CheckResponseInit {
  const overwrite = (entries: Readonly<Record<string, string>>) =>
    Object.entries(entries).map(([key, value]) => ({
      header: { key, value },
      appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
    }));
  if (decision.outcome === 'allow') {
    return {
      status: { code: rpcCode.ok },
      httpResponse: {
        case: 'okResponse',
        value: { headers: overwrite(decision.setHeaders), headersToRemove: [...decision.removeHeaders] },
      },
    };
  }
  return {
    status: { code: deniedRpcCode[decision.status] },
    httpResponse: {
      case: 'deniedResponse',
      value: {
        status: { code: deniedStatusCode[decision.status] },
        headers: overwrite(decision.responseHeaders),
        body: '',
      },
    },
  };
}

/** What the decider needs; the policies read reloadable state through their functions. */
export interface CheckHandlerDependencies {
  inbound: InboundPolicy;
  outbound: OutboundPolicy | undefined;
  metrics: TranslatorMetrics;
  logger: Logger;
}

/** One authorization question, whichever ext_authz transport (gRPC or HTTP) carried it. */
export interface AuthorizationQuestion {
  direction: MetricDirection;
  /** The request as it crosses the sidecar, or undefined when the transport carried none. */
  request: HttpRequestMessage | undefined;
  /** The verified mTLS peer's SPIFFE ID as Envoy reports it ('' when there is none). */
  peerPrincipal: string;
  /** Envoy's request id, for the log. */
  requestId?: string;
}

/** Decides one question; rejects only on a failure that is not a decision (the caller fails closed). */
export type Decider = (question: AuthorizationQuestion) => Promise<Decision>;

/**
 * The translator's decision point behind both transports: dispatches on the direction, decides,
 * logs and counts. A failure that is not a decision (a bug, a crypto error) is counted, logged and
 * rethrown, so the transport fails the call and Envoy answers 503 (fail closed).
 */
export function createDecider(dependencies: CheckHandlerDependencies): Decider {
  return async ({ direction, request, peerPrincipal, requestId }) => {
    const started = performance.now();
    // Plain fields, not a child logger per request: an allowed request only logs at debug.
    const context = () => ({ direction, ...(requestId ? { requestId } : {}) });
    let decision: Decision;
    try {
      if (request === undefined) decision = deny(403, 'request_malformed', 'no HTTP request attributes');
      else if (direction === 'inbound')
        decision = await decideInbound(request, peerPrincipal, dependencies.inbound);
      else if (direction === 'outbound' && dependencies.outbound !== undefined)
        decision = await decideOutbound(request, dependencies.outbound);
      else decision = deny(403, 'direction_unknown', `direction ${direction} is not served`);
    } catch (error) {
      dependencies.metrics.observe(direction, 'error', 'internal', (performance.now() - started) / 1000);
      dependencies.logger.error('check failed', { ...context(), error: errorMessage(error) });
      throw error;
    }
    const seconds = (performance.now() - started) / 1000;
    if (decision.outcome === 'allow') {
      dependencies.metrics.observe(direction, 'allow', 'ok', seconds);
      dependencies.logger.debug('request allowed', { ...context(), caller: decision.caller });
    } else {
      dependencies.metrics.observe(direction, 'deny', decision.reason, seconds);
      dependencies.logger.info('request denied', {
        ...context(),
        status: decision.status,
        reason: decision.reason,
        detail: boundMessage(decision.detail),
      });
    }
    return decision;
  };
}

/**
 * Envoy's gRPC `Authorization/Check`: the direction from the context extensions, the peer from
 * `source.principal`, the request from the HTTP attributes; the decision as a CheckResponse.
 */
export function createCheckHandler(
  dependencies: CheckHandlerDependencies,
): (check: CheckRequest) => Promise<CheckResponseInit> {
  const decide = createDecider(dependencies);
  return async (check) => {
    const extension = check.attributes?.contextExtensions[directionContextKey];
    const requestId = check.attributes?.request?.http?.id;
    const decision = await decide({
      direction: extension === 'inbound' || extension === 'outbound' ? extension : 'unknown',
      request: httpRequestOfCheck(check),
      peerPrincipal: check.attributes?.source?.principal ?? '',
      ...(requestId ? { requestId } : {}),
    });
    return checkResponseOf(decision);
  };
}
