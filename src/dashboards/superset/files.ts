/** What every file of the bundle shares: name-derived UUIDs, the format version, file names, YAML. */
import { v5 as uuidv5 } from 'uuid';
import YAML from 'yaml';

/** Every bundle's UUIDs are v5 UUIDs in this namespace (itself a v5 UUID of a URL). */
const namespace = uuidv5('https://github.com/farebox/farebox/superset', uuidv5.URL);
export const uuidOf = (kind: string, name: string): string => uuidv5(`${kind}:${name}`, namespace);

export const version = '1.0.0';

/** A file-name-safe form of a name, as Superset's own exports make them. */
export const fileName = (name: string): string => name.replace(/[^\w.-]+/g, '_');

/** YAML as Superset (PyYAML, YAML 1.1) reads it: 'yes', 'on', dates and the like stay strings, quoted. */
export const toYaml = (value: unknown): string =>
  YAML.stringify(value, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
