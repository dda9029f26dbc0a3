/**
 * Generic tests declared in properties YAML (`data_tests:` / `tests:`), named and hashed exactly as
 * dbt-core does, so that unique ids (`test.<project>.<name>.<hash>`) match a manifest written by dbt.
 */
import { createHash } from 'node:crypto';
import { FareboxError } from '../errors/index.ts';
import { hashable, pyRepr, pyStr } from './python.ts';
import type { NodeConfig } from './types.ts';
import { isMapping } from './values.ts';

const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');

/** Keys of a test entry that are configuration, not arguments of the test macro (dbt's CONFIG_ARGS). */
const configArgs = [
  'severity',
  'tags',
  'enabled',
  'where',
  'limit',
  'warn_if',
  'error_if',
  'fail_calc',
  'store_failures',
  'store_failures_as',
  'meta',
  'database',
  'schema',
  'alias',
];

/** dbt's synthesize_generic_test_names: the full name for ids and fqn, a short one (< 64) for files. */
export function synthesizeTestNames(
  testType: string,
  targetName: string,
  args: Record<string, unknown>,
): { shortName: string; fullName: string } {
  const flat: string[] = [];
  for (const argName of Object.keys(args).sort()) {
    if (argName === 'model') continue;
    const v = args[argName];
    const parts = Array.isArray(v) ? v : v !== null && typeof v === 'object' ? Object.values(v) : [v];
    flat.push(...parts.map(pyStr));
  }
  const unique = flat.map((a) => a.replace(/[^0-9a-zA-Z_]+/g, '_')).join('__');
  const identifier = `${testType}_${targetName}`;
  const fullName = `${identifier}_${unique}`;
  const shortName = fullName.length >= 64 ? `${identifier.slice(0, 30)}_${md5(fullName)}` : fullName;
  return { shortName, fullName };
}

/** The 10-character suffix of a generic test's unique id (SchemaGenericTestParser.create_test_node). */
export function testHash(
  fullName: string,
  metadata: { name: string; kwargs: Record<string, unknown>; namespace: string | null },
): string {
  return md5(fullName + pyRepr(hashable(metadata))).slice(-10);
}

/** What a test entry is testing: a model, a seed, or a source table. */
export interface TestTarget {
  kind: 'model' | 'seed' | 'source';
  name: string;
  /** For sources: the source's name; `name` is the table's. */
  sourceName?: string;
}

export interface BuiltTest {
  testName: string;
  namespace: string | null;
  /** Arguments for the test macro, `model` included, in dbt's order. */
  kwargs: Record<string, unknown>;
  config: NodeConfig;
  fullName: string;
  shortName: string;
  hash: string;
  description: string;
}

/** Reads one entry of a `data_tests:` list the way dbt's TestBuilder does. */
export function buildGenericTest(entry: unknown, target: TestTarget, columnName: string | null): BuiltTest {
  let testName: string;
  let args: Record<string, unknown>;
  if (typeof entry === 'string') {
    testName = entry;
    args = {};
  } else if (isMapping(entry) && typeof entry.test_name === 'string') {
    const { test_name, ...rest } = entry;
    testName = test_name;
    args = structuredClone(rest);
  } else if (isMapping(entry) && Object.keys(entry).length === 1) {
    const [name, value] = Object.entries(entry)[0] as [string, unknown];
    testName = name;
    if (value !== null && value !== undefined && !isMapping(value))
      throw new FareboxError('transform_invalid', `test '${name}' arguments must be a mapping`);
    args = structuredClone(value ?? {});
  } else
    throw new FareboxError(
      'transform_invalid',
      `a test must be a name or a mapping with one key (the test's name), got ${JSON.stringify(entry)}`,
    );
  // The column goes after the entry's own keys, then `arguments:` (dbt ≥ 1.10.5) is spread over them, so
  // test_metadata.kwargs keeps dbt's order: it decides the order of a test's refs.
  if (columnName !== null) args.column_name = columnName;
  if (isMapping(args.arguments)) {
    const { arguments: nested, ...rest } = args;
    args = { ...rest, ...nested };
  }
  if ('model' in args)
    throw new FareboxError(
      'transform_invalid',
      `test '${testName}' has an argument named 'model', which is reserved`,
    );
  args.model =
    target.kind === 'source'
      ? `{{ get_where_subquery(source('${target.sourceName ?? ''}', '${target.name}')) }}`
      : `{{ get_where_subquery(ref('${target.name}')) }}`;

  const match = /^(?:([A-Za-z_]\w*)\.)?([A-Za-z_]\w*)$/.exec(testName);
  if (match === null)
    throw new FareboxError('transform_invalid', `test name '${testName}' is not a valid macro name`);
  const namespace = match[1] ?? null;
  const name = match[2] as string;

  const config: NodeConfig = {};
  const nested = isMapping(args.config) ? args.config : {};
  for (const key of configArgs) {
    let value = args[key];
    delete args[key];
    if (value === undefined || value === null || value === false || value === '') value = nested[key];
    if (value !== undefined && value !== null) config[key] = value;
  }
  if (isMapping(args.config)) {
    for (const [k, v] of Object.entries(args.config)) if (v !== null && v !== undefined) config[k] ??= v;
    delete args.config;
  }
  const description = typeof args.description === 'string' ? args.description : '';
  delete args.description;

  let fullName: string;
  let shortName: string;
  if (typeof args.name === 'string') {
    fullName = shortName = args.name;
    delete args.name;
  } else {
    let type = target.kind === 'source' ? `source_${name}` : name;
    if (namespace !== null) type = `${namespace}_${type}`;
    const targetName = target.kind === 'source' ? `${target.sourceName ?? ''}_${target.name}` : target.name;
    ({ shortName, fullName } = synthesizeTestNames(type, targetName, args));
    if (shortName !== fullName && config.alias === undefined) config.alias = shortName;
  }
  const hash = testHash(fullName, { namespace, name, kwargs: args });
  return { testName: name, namespace, kwargs: args, config, fullName, shortName, hash, description };
}
