/** Bytes a producer hands over in a binary field, before the claim check replaces them with a reference. */
export interface BinaryValue {
  bytes: Uint8Array;
  contentType: string;
}

export interface ObjectRefShape {
  url: string;
  sha256: string;
  size: number;
  contentType: string;
}

export function isBinaryValue(v: unknown): v is BinaryValue {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as { bytes?: unknown }).bytes instanceof Uint8Array &&
    typeof (v as { contentType?: unknown }).contentType === 'string'
  );
}
