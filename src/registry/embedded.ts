/**
 * The embedded schema registry: subjects, versions, global ids and compatibility checks, persisted in
 * `<dir>/registry.json` (written atomically). Ids follow Confluent: the same schema text under any
 * subject has one id; a soft-deleted version's id still resolves. The rules live in model.ts.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FareboxError } from '../errors/index.ts';
import { createModel, type RegistryFile } from './model.ts';
import { modelReads, planDeleteSubject, planDeleteVersion, planRegister } from './rules.ts';
import type { SchemaRegistry } from './types.ts';

export async function createEmbeddedRegistry(config: { dir: string }): Promise<SchemaRegistry> {
  const file = path.join(config.dir, 'registry.json');
  await fs.mkdir(config.dir, { recursive: true });
  let saved: RegistryFile | undefined;
  try {
    saved = JSON.parse(await fs.readFile(file, 'utf8')) as RegistryFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new FareboxError('schema_invalid', `cannot read the registry state ${file}`, {
        cause: e,
        where: file,
      });
  }
  const model = createModel(saved);

  // Saves run one after another: two at once would race on the same temporary file.
  let saving = Promise.resolve();
  const save = (): Promise<void> => {
    const text = JSON.stringify(model.toFile());
    const write = async (): Promise<void> => {
      const tmp = `${file}.tmp`;
      const handle = await fs.open(tmp, 'w');
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
    };
    saving = saving.then(write, write);
    return saving;
  };
  // Reads are synchronous on the model; async keeps the interface's promises (and turns throws into rejections).
  const read = async <T>(f: () => T): Promise<T> => {
    await Promise.resolve();
    return f();
  };

  return {
    async register(subject, schema, schemaType = 'JSON') {
      const plan = planRegister(model, subject, schema, schemaType);
      if ('existing' in plan) return plan.existing;
      model.addVersion(plan.proposal);
      await save();
      return model.getVersion(subject, plan.proposal.version);
    },
    ...modelReads(model, read),
    async setCompatibility(level, subject) {
      model.setLevel(level, subject);
      await save();
    },
    async deleteCompatibility(subject) {
      const before = model.setLevel(undefined, subject);
      await save();
      return before;
    },
    async deleteSubject(subject, permanent = false) {
      const versions = planDeleteSubject(model, subject, permanent);
      for (const v of versions) model.markDeleted(subject, v, permanent);
      await save();
      return versions;
    },
    async deleteVersion(subject, version, permanent = false) {
      const v = planDeleteVersion(model, subject, version, permanent);
      model.markDeleted(subject, v, permanent);
      await save();
      return v;
    },
    close: () => saving,
  };
}
