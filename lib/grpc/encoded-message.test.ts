import { fromBinary } from '@bufbuild/protobuf';
import { GetCARequestSchema, GetCAResponseSchema } from '../../proto/gen/accord/pki/v1/pki_pb.js';
import { EncodedMessage } from './encoded-message.js';

describe('EncodedMessage', () => {
  it('holds the protobuf encoding of the message it was built from', () => {
    const encoded = EncodedMessage.encode(GetCAResponseSchema, {
      trustDomain: 'zone-a.example',
      rootCertificates: ['pem'],
    });
    expect(fromBinary(GetCAResponseSchema, encoded.bytes)).toMatchObject({
      trustDomain: 'zone-a.example',
      rootCertificates: ['pem'],
    });
    expect(encoded.forSchema(GetCAResponseSchema)).toBe(encoded);
  });

  it('refuses to answer a method whose response is another message type', () => {
    const encoded = EncodedMessage.encode(GetCAResponseSchema, { trustDomain: 'zone-a.example' });
    expect(() => encoded.forSchema(GetCARequestSchema)).toThrow(
      'an encoded accord.pki.v1.GetCAResponse cannot answer with accord.pki.v1.GetCARequest',
    );
  });
});
