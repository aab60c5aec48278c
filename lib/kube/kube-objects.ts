/**
 * The Kubernetes objects Accord reads and writes, as the API server's JSON has them: only the
 * fields Accord uses are typed, the rest pass through untouched (an object read and written back
 * keeps every field, even one this code does not know), and times are the API server's RFC 3339
 * strings. Named as in the Kubernetes API (and in `@kubernetes/client-node`), so code reads the same.
 */

/** `metadata` of every object. */
export interface V1ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: V1OwnerReference[];
  [field: string]: unknown;
}

/** An owner whose deletion garbage-collects the object. */
export interface V1OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** `metadata` of a list: where a paged list goes on (`continue`) and the snapshot's version. */
export interface V1ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/** A list response. */
export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ListMeta;
  items: T[];
}

/** core/v1 Secret; `data` values are base64. */
export interface V1Secret {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  /** Write-only: plain text the API server encodes into `data`. */
  stringData?: Record<string, string>;
  immutable?: boolean;
  [field: string]: unknown;
}

export type V1SecretList = KubeList<V1Secret>;

/** core/v1 ConfigMap; `binaryData` values are base64. */
export interface V1ConfigMap {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  immutable?: boolean;
  [field: string]: unknown;
}

export type V1ConfigMapList = KubeList<V1ConfigMap>;

/** The object a core/v1 Event is about. */
export interface V1ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** core/v1 Event (the `events.k8s.io` fields `reporting*` included, as client-go's recorder writes them). */
export interface CoreV1Event {
  metadata: V1ObjectMeta;
  involvedObject: V1ObjectReference;
  type?: string;
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  /** RFC 3339, seconds precision. */
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string;
  count?: number;
}

/** coordination.k8s.io/v1 Lease `spec`; times are MicroTime (`microTime`). */
export interface V1LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  [field: string]: unknown;
}

/** coordination.k8s.io/v1 Lease. */
export interface V1Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: V1LeaseSpec;
}

/** core/v1 Service: the operator points a MeshWorkload's Service ports at Envoy and back. */
export interface V1Service {
  metadata?: V1ObjectMeta;
  spec?: { ports?: V1ServicePort[]; selector?: Record<string, string>; [field: string]: unknown };
  [field: string]: unknown;
}

export interface V1ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
  [field: string]: unknown;
}

export type V1ServiceList = KubeList<V1Service>;

/** core/v1 Pod, for listing: the operator's pod parser reads the JSON. */
export interface V1Pod {
  metadata?: V1ObjectMeta;
  [field: string]: unknown;
}

export type V1PodList = KubeList<V1Pod>;

/** admissionregistration.k8s.io/v1 MutatingWebhookConfiguration: the operator keeps one entry's `caBundle` current. */
export interface V1MutatingWebhookConfiguration {
  metadata?: V1ObjectMeta;
  webhooks?: V1MutatingWebhook[];
  [field: string]: unknown;
}

export interface V1MutatingWebhook {
  name: string;
  /** `caBundle` is base64 PEM. */
  clientConfig: { caBundle?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** authentication.k8s.io/v1 TokenReview. */
export interface V1TokenReview {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec: { token?: string; audiences?: string[] };
  status?: {
    authenticated?: boolean;
    audiences?: string[];
    error?: string;
    user?: { username?: string; uid?: string; groups?: string[] };
  };
}

/** What a delete may require of the object: it is deleted only if it is still that version. */
export interface V1DeleteOptions {
  preconditions?: { resourceVersion?: string; uid?: string };
}

/**
 * A MicroTime as the API server parses it (RFC 3339 with exactly six fractional digits, UTC):
 * Lease times must have this form.
 */
export function microTime(time: Date): string {
  return time.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A Time as the API server writes it (RFC 3339, whole seconds, UTC): Event timestamps. */
export function kubeTime(time: Date): string {
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
