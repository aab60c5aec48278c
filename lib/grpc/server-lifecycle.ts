import type { DescService } from '@bufbuild/protobuf';
import { ReflectionService } from '@grpc/reflection';
import type { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { Health } from '../../proto/gen/grpc/health/v1/health_pb.js';
import { reflectionPackageDefinition } from './reflection-descriptors.js';

/** How long `shutDownGrpcServer` lets running calls finish before it cuts them. */
const gracefulShutdownMs = 2000;

/**
 * Adds gRPC health (the server and each of `services` SERVING) and reflection over `services` to
 * `server`, as every Accord gRPC server offers them; returns the health service, whose statuses
 * `shutDownGrpcServer` turns to NOT_SERVING.
 */
export function serveHealthAndReflection(
  server: Server,
  services: readonly DescService[],
): HealthImplementation {
  const health = new HealthImplementation({ '': 'SERVING' });
  for (const service of services) health.setStatus(service.typeName, 'SERVING');
  health.addToServer(server);
  new ReflectionService(reflectionPackageDefinition([Health, ...services])).addToServer(server);
  return health;
}

/** Binds `server` to `host:port` (0 picks a free port) and returns the port it got. */
export function bindGrpcServer(
  server: Server,
  host: string,
  port: number,
  credentials: ServerCredentials,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${String(port)}`, credentials, (error, boundPort) => {
      if (error) reject(error);
      else resolve(boundPort);
    });
  });
}

/**
 * Reports NOT_SERVING for `services`, stops accepting calls and lets running ones finish for up to
 * 2 s, then forces the rest; `endStreams` (run at once and again before forcing) ends the server
 * streams a server keeps open, which would otherwise hold the shutdown to the end.
 */
export function shutDownGrpcServer(
  server: Server,
  health: HealthImplementation,
  services: readonly DescService[],
  endStreams: () => void = () => undefined,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      endStreams();
      server.forceShutdown();
      resolve();
    }, gracefulShutdownMs);
    health.setStatus('', 'NOT_SERVING');
    for (const service of services) health.setStatus(service.typeName, 'NOT_SERVING');
    endStreams();
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
