/**
 * UTF-8 into a buffer at an offset, returning the bytes written. Buffer#write checks and
 * normalises its arguments on every call, which cost more than the encoding of a short string;
 * the method it ends in is called directly where Node has it. For the hot paths that write
 * Kafka records: the generator's pack and the produce request encoder.
 */
const nativeUtf8Write = (Buffer.prototype as unknown as { utf8Write?: (this: Buffer, text: string, offset: number) => number }).utf8Write;

export const writeUtf8: (buf: Buffer, text: string, offset: number) => number =
  typeof nativeUtf8Write === 'function' ? (buf, text, offset) => nativeUtf8Write.call(buf, text, offset) : (buf, text, offset) => buf.write(text, offset, 'utf8');
