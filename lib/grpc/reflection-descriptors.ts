import { toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { PackageDefinition } from '@grpc/proto-loader';

/**
 * The serialized FileDescriptorProtos that @grpc/reflection needs, for the files declaring the
 * given services and everything they import, so `grpcurl` can describe them without .proto files.
 */
export function reflectionPackageDefinition(services: readonly DescService[]): PackageDefinition {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.name)) return;
    files.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  services.forEach((service) => visit(service.file));
  const fileDescriptorProtos = [...files.values()].map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  // @grpc/reflection reads only `fileDescriptorProtos` of each entry; the rest of proto-loader's
  // type definition shape is irrelevant to it.
  return {
    accord: { format: 'Protocol Buffer 3 DescriptorProto', type: {}, fileDescriptorProtos },
  } as unknown as PackageDefinition;
}
