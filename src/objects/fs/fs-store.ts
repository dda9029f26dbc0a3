/** The embedded object store: a content-addressed local directory, `<dir>/sha256/<2 hex>/<64 hex>`. */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FareboxError, wrapError } from '../../errors/index.ts';
import type { ObjectRef, ObjectStore } from '../types.ts';
import { verifyBytes } from '../verify.ts';

export async function createFsObjectStore(config: { dir: string }): Promise<ObjectStore> {
  const root = path.join(config.dir, 'sha256');
  await fs.mkdir(root, { recursive: true });
  const fileOf = (sha256: string): string => {
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw new FareboxError('object_missing', `'${sha256}' is not a sha256 in hex`, {
        where: 'object store',
      });
    return path.join(root, sha256.slice(0, 2), sha256);
  };
  const exists = async (file: string): Promise<boolean> =>
    fs.stat(file).then(
      () => true,
      () => false,
    );

  return {
    kind: 'file',
    async put(bytes, contentType) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const file = fileOf(sha256);
      const ref: ObjectRef = { url: pathToFileURL(file).href, sha256, size: bytes.byteLength, contentType };
      if (await exists(file)) return ref;
      try {
        await fs.mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.${randomUUID()}.tmp`;
        const handle = await fs.open(tmp, 'wx');
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await fs.rename(tmp, file);
      } catch (e) {
        throw wrapError('object_io', `cannot store object ${sha256}`, e, { retriable: true });
      }
      return ref;
    },
    async get(ref) {
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(fileOf(ref.sha256));
      } catch (e) {
        throw new FareboxError('object_missing', `object ${ref.sha256} is not in the object store`, {
          cause: e,
          where: ref.url,
        });
      }
      return verifyBytes(ref, bytes);
    },
    async has(sha256) {
      return exists(fileOf(sha256));
    },
    async delete(sha256) {
      await fs.rm(fileOf(sha256), { force: true });
    },
    async *list() {
      for (const prefix of await fs.readdir(root)) {
        for (const name of await fs.readdir(path.join(root, prefix))) {
          if (name.endsWith('.tmp')) continue;
          const st = await fs.stat(path.join(root, prefix, name));
          yield { sha256: name, size: st.size, modifiedAt: Math.floor(st.mtimeMs) };
        }
      }
    },
    downloadUrl(ref) {
      return Promise.resolve(pathToFileURL(fileOf(ref.sha256)).href);
    },
    async close() {},
  };
}
