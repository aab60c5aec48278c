import { z } from 'zod';
import { InvalidArgumentError } from '../../lib/errors/accord-error.js';
import type { InjectionDecision, PodJson } from './inject-pod.js';

/** The API version of every AdmissionReview the webhook accepts and answers. */
export const admissionReviewApiVersion = 'admission.k8s.io/v1';

const admissionReviewSchema = z.object({
  apiVersion: z.literal(admissionReviewApiVersion),
  kind: z.literal('AdmissionReview'),
  request: z.object({
    uid: z.string().min(1),
    kind: z.object({ group: z.string(), version: z.string(), kind: z.string() }),
    operation: z.string().min(1),
    namespace: z.string().exactOptional(),
    object: z.record(z.string(), z.unknown()).nullable().exactOptional(),
  }),
});

/** What the webhook reads out of an AdmissionReview request. */
export interface AdmissionRequest {
  uid: string;
  /** Whether this is the creation of a core/v1 Pod: the only request injection acts on. */
  isPodCreate: boolean;
  namespace: string;
  pod: PodJson;
}

/**
 * Parses an AdmissionReview body strictly: anything but an `admission.k8s.io/v1` AdmissionReview
 * with a request uid throws `InvalidArgumentError` (the server answers 400). The message names
 * fields only, never the body: a pod spec may carry secrets in its environment.
 */
export function parseAdmissionReview(body: string): AdmissionRequest {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    throw new InvalidArgumentError('the body is not JSON');
  }
  const result = admissionReviewSchema.safeParse(document);
  if (!result.success) {
    const fields = result.error.issues.map((issue) => issue.path.join('.') || '(root)');
    throw new InvalidArgumentError(
      `not an ${admissionReviewApiVersion} AdmissionReview (${fields.join(', ')})`,
    );
  }
  const request = result.data.request;
  const isPodCreate =
    request.kind.group === '' &&
    request.kind.version === 'v1' &&
    request.kind.kind === 'Pod' &&
    request.operation === 'CREATE' &&
    request.object !== undefined &&
    request.object !== null;
  return {
    uid: request.uid,
    isPodCreate,
    namespace: request.namespace ?? '',
    pod: request.object ?? {},
  };
}

/** An AdmissionReview response allowing the request, with the decision's patch if it has one. */
export function admissionResponse(uid: string, decision?: InjectionDecision): Record<string, unknown> {
  const hasPatch = decision !== undefined && decision.patch.length > 0;
  return {
    apiVersion: admissionReviewApiVersion,
    kind: 'AdmissionReview',
    response: {
      uid,
      allowed: true,
      ...(hasPatch
        ? {
            patchType: 'JSONPatch',
            patch: Buffer.from(JSON.stringify(decision.patch), 'utf8').toString('base64'),
          }
        : {}),
      ...(decision !== undefined && decision.warnings.length > 0 ? { warnings: decision.warnings } : {}),
    },
  };
}
