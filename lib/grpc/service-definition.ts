import { toBinary, type DescMethod, type DescService } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { EncodedMessage } from './encoded-message.js';

/**
 * Request bytes are handed to the handler undecoded, so that a malformed message becomes a
 * precise INVALID_ARGUMENT from our own error mapping instead of grpc-js' generic INTERNAL.
 * Responses are encoded here, unless a handler returned them already encoded (`EncodedMessage`).
 */
export function serverServiceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    definition[method.localName] = methodDefinition(method, {
      serializeResponse: (message: object) =>
        message instanceof EncodedMessage
          ? message.bytes
          : Buffer.from(toBinary(method.output, message as never)),
      deserializeRequest: (bytes) => bytes,
    });
  }
  return definition;
}

/** Method path as it appears on the wire, e.g. `/accord.pki.v1.PkiService/SignCSR`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

interface Codec {
  serializeResponse: (message: never) => Buffer;
  deserializeRequest: (bytes: Buffer) => Buffer;
}

function methodDefinition(method: DescMethod, codec: Codec): MethodDefinition<unknown, unknown> {
  return {
    path: methodPath(method),
    requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
    responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
    requestSerialize: (value: unknown) => value as Buffer,
    requestDeserialize: codec.deserializeRequest,
    responseSerialize: codec.serializeResponse as (value: unknown) => Buffer,
    responseDeserialize: (bytes: Buffer) => bytes,
    originalName: method.localName,
  };
}
