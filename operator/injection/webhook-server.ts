import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage, InvalidArgumentError } from '../../lib/errors/accord-error.js';
import { boundMessage } from '../../lib/errors/quote-untrusted.js';
import { closeHttpServer, listenHttpServer, readBodyUpTo } from '../../lib/http/http-server-lifecycle.js';
import type { Logger } from '../../lib/log/logger.js';
import { admissionResponse, parseAdmissionReview } from './admission-review.js';
import { injectPod, type InjectionSettings } from './inject-pod.js';
import type { AdmissionOutcome, InjectionMetrics } from './injection-metrics.js';
import type { MeshWorkload } from '../mesh-workload/mesh-workload.js';

/** The path the MutatingWebhookConfiguration calls. */
export const mutatePodsPath = '/mutate-pods';

/** The largest AdmissionReview accepted; a pod is far smaller, and etcd's own limit is 1.5 MiB. */
export const defaultMaxBodyBytes = 1024 * 1024;

/** The webhook's serving certificate and key, PEM. */
export interface ServingCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** What the webhook server needs; all I/O is injected. */
export interface WebhookServerOptions {
  /** 127.0.0.1 in tests; the pod IP (or 0.0.0.0) in a cluster. */
  host: string;
  /** 0 picks a free port. */
  port: number;
  certificate: ServingCertificate;
  /** The MeshWorkloads of a namespace (an informer cache in the operator, the API in tests). */
  listMeshWorkloads: (namespace: string) => Promise<MeshWorkload[]>;
  settings: InjectionSettings;
  metrics: InjectionMetrics;
  logger: Logger;
  maxBodyBytes?: number;
}

/** A running webhook server. */
export interface WebhookServer {
  readonly port: number;
  /** Serves new connections with `certificate` (renewal); open connections keep the old one. */
  setCertificate(certificate: ServingCertificate): void;
  close(): Promise<void>;
}

/** A request the server answers with a status and a plain-text reason, counted by outcome. */
class RequestFailure extends Error {
  constructor(
    readonly status: number,
    readonly outcome: AdmissionOutcome,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Serves the injection webhook over HTTPS: `POST /mutate-pods` with an `admission.k8s.io/v1`
 * AdmissionReview answers `allowed: true` with the JSON patch of `injectPod`. A body over
 * `maxBodyBytes` gets 413, a malformed one 400, and a failure to list MeshWorkloads 500: the
 * webhook never admits a pod it could not decide on by itself; the registration's
 * `failurePolicy` decides what the API server does then (docs/injection.md).
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
  const log = options.logger;
  const server: Server = createServer(
    {
      cert: options.certificate.certificatePem,
      key: options.certificate.privateKeyPem,
      minVersion: 'TLSv1.2',
    },
    (request, response) => {
      handle(request, response).catch((error: unknown) => {
        const failure =
          error instanceof RequestFailure ? error : new RequestFailure(500, 'Error', 'injection failed');
        if (failure.outcome === 'Error') log.error('admission failed', { error: errorMessage(error) });
        else
          log.warn('admission request refused', {
            status: failure.status,
            reason: boundMessage(failure.message),
          });
        options.metrics.admission(failure.outcome);
        if (!response.headersSent) {
          response
            .writeHead(failure.status, { 'content-type': 'text/plain', connection: 'close' })
            .end(`${boundMessage(failure.message)}\n`);
        }
        if (failure.status === 413) request.destroy();
      });
    },
  );

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'https://localhost').pathname;
    if (path !== mutatePodsPath) throw new RequestFailure(404, 'Malformed', 'not found');
    if (request.method !== 'POST') throw new RequestFailure(405, 'Malformed', 'only POST');
    const body = await readBody(request, maxBodyBytes);
    let review;
    try {
      review = parseAdmissionReview(body);
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw new RequestFailure(400, 'Malformed', error.message);
      throw error;
    }
    let answer: Record<string, unknown>;
    if (review.isPodCreate) {
      const decision = injectPod(
        review.pod,
        review.namespace,
        await options.listMeshWorkloads(review.namespace),
        options.settings,
      );
      options.metrics.admission(decision.outcome);
      if (decision.outcome === 'Injected') {
        log.debug('pod injected', { namespace: review.namespace, meshWorkload: decision.meshWorkload });
      }
      answer = admissionResponse(review.uid, decision);
    } else {
      options.metrics.admission('Ignored');
      answer = admissionResponse(review.uid);
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  }

  const port = await listenHttpServer(server, options.host, options.port);
  log.info('injection webhook listening', { address: `${options.host}:${String(port)}` });
  return {
    port,
    setCertificate: (certificate) => {
      server.setSecureContext({ cert: certificate.certificatePem, key: certificate.privateKeyPem });
    },
    close: () => closeHttpServer(server),
  };
}

/** Reads a request body as UTF-8, refusing (413) as soon as it grows past `maxBytes`. */
async function readBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  const body = await readBodyUpTo(request, maxBytes);
  if (body === undefined) throw new RequestFailure(413, 'TooLarge', 'request body too large');
  return body.toString('utf8');
}
