import assert from 'node:assert/strict';
import * as asn1js from 'asn1js';
import { encodeSequence, encodeTlv, parseDer } from '../../signer/pathvalidation/der.js';

/** Our single-allocation DER writer against asn1js, at every length-form boundary. */
describe('signer/pathvalidation/der — encodeTlv and encodeSequence', () => {
  for (const len of [0, 1, 127, 128, 255, 256, 65_535, 65_536, 16_777_215, 16_777_216]) {
    it(`writes an OCTET STRING of ${len} bytes as asn1js does, and reads it back`, () => {
      const content = Buffer.alloc(len, len % 251);
      const ours = Buffer.from(encodeTlv(0x04, content));
      const theirs = Buffer.from(new asn1js.OctetString({ valueHex: content }).toBER(false));
      assert.ok(ours.equals(theirs), `header ${ours.subarray(0, 6).toString('hex')} vs ${theirs.subarray(0, 6).toString('hex')}`);
      assert.equal(parseDer(ours).content.length, len);
    });
  }

  it('writes a SEQUENCE of parts as one TLV over their concatenation', () => {
    const parts = [encodeTlv(0x02, Uint8Array.of(5)), encodeTlv(0x04, Buffer.alloc(300, 7)), encodeTlv(0x05, new Uint8Array())];
    const seq = Buffer.from(encodeSequence(...parts));
    assert.ok(seq.equals(Buffer.from(encodeTlv(0x30, Buffer.concat(parts)))));
    const parsed = parseDer(seq);
    assert.deepEqual(parsed.kids.map((k) => k.content.length), [1, 300, 0]);
  });
});
