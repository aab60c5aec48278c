import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';

/**
 * A response message encoded ahead of time. A handler whose answer is the same for many calls
 * (GetCertificates: one answer per zone until the next contract change) encodes it once with
 * `EncodedMessage.encode`, keeps it, and returns it on every call; the server then sends the
 * bytes as they are instead of building and encoding the message again, which for a message of
 * a few partner certificates costs more than the rest of the handler.
 */
export class EncodedMessage<Desc extends DescMessage> {
  /** The message type the bytes encode; the server refuses to send them for another method. */
  readonly schema: Desc;
  /** The protobuf encoding; never modified once built. */
  readonly bytes: Buffer;

  private constructor(schema: Desc, bytes: Buffer) {
    this.schema = schema;
    this.bytes = bytes;
  }

  /** Encodes `message` of type `schema` once. */
  static encode<Desc extends DescMessage>(
    schema: Desc,
    message: MessageInitShape<Desc>,
  ): EncodedMessage<Desc> {
    const bytes = toBinary(schema, create(schema, message));
    return new EncodedMessage(schema, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** Returns this message if it encodes `schema`; a mismatch is a programming error. */
  forSchema(schema: DescMessage): this {
    if (schema.typeName !== this.schema.typeName)
      throw new TypeError(`an encoded ${this.schema.typeName} cannot answer with ${schema.typeName}`);
    return this;
  }
}
