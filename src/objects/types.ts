/** The object-store seam: a local content-addressed directory (objects/fs) or S3 (objects/s3). */

/** What a claim check leaves in a message in place of the bytes. */
export interface ObjectRef {
  url: string;
  sha256: string;
  size: number;
  contentType: string;
}

/** An object as the store lists it. */
export interface StoredObject {
  sha256: string;
  size: number;
  /** When it was stored, in ms since the epoch: the file's mtime, or S3's LastModified. */
  modifiedAt: number;
}

export interface ObjectStore {
  readonly kind: 'file' | 's3';
  /** Stores bytes under their sha256. Storing the same bytes again writes nothing. */
  put(bytes: Uint8Array, contentType: string): Promise<ObjectRef>;
  /** Reads the bytes back and verifies size and sha256 (object_hash_mismatch otherwise). */
  get(ref: ObjectRef): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
  /** Every object, in no particular order; `modifiedAt` (ms since the epoch) is when it was stored. */
  list(): AsyncIterable<StoredObject>;
  /**
   * A URL a reader can fetch the object from: a presigned, expiring GET URL on S3; the file's own URL
   * for the local directory (readable on this machine only).
   */
  downloadUrl(ref: ObjectRef, expiresInSeconds?: number): Promise<string>;
  close(): Promise<void>;
}
