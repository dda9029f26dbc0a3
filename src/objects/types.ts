/** The object-store seam: a local content-addressed directory (objects/fs) or S3 (objects/s3). */

/** What a claim check leaves in a message in place of the bytes. */
export interface ObjectRef {
  url: string;
  sha256: string;
  size: number;
  contentType: string;
}

export interface ObjectStore {
  readonly kind: 'file' | 's3';
  /** Stores bytes under their sha256. Storing the same bytes again writes nothing. */
  put(bytes: Uint8Array, contentType: string): Promise<ObjectRef>;
  /** Reads the bytes back and verifies size and sha256 (object_hash_mismatch otherwise). */
  get(ref: ObjectRef): Promise<Buffer>;
  has(sha256: string): Promise<boolean>;
  delete(sha256: string): Promise<void>;
  list(): AsyncIterable<{ sha256: string; size: number }>;
  /**
   * A URL a reader can fetch the object from: a presigned, expiring GET URL on S3; the file's own URL
   * for the local directory (readable on this machine only).
   */
  downloadUrl(ref: ObjectRef, expiresInSeconds?: number): Promise<string>;
  close(): Promise<void>;
}
