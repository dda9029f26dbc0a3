/**
 * dbt_project.yml and the project's files: name, resource paths, vars, the profile's target name, and the
 * per-path configuration (`models: <project>: staging: +materialized: view`) merged down an fqn.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { FareboxError } from '../errors/index.ts';
import { mergeConfig } from './context.ts';
import type { NodeConfig, ProjectFiles } from './types.ts';
import { isMapping } from './values.ts';

export interface ProjectFile {
  name: string;
  dir: string;
  settings: Record<string, unknown>;
  paths: ProjectFiles;
  /** Global vars and those scoped to this project. */
  vars: Record<string, unknown>;
  profileName: string;
  /** The profile's default target name (profiles.yml beside the project), or 'dev'. */
  targetName: string;
}

export function readYaml(file: string, rel: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new FareboxError('transform_invalid', `cannot read ${rel}`, { cause: e, where: rel });
  }
  try {
    return YAML.parse(text) as unknown;
  } catch (e) {
    throw new FareboxError(
      'transform_invalid',
      `${rel} is not valid YAML: ${e instanceof Error ? e.message : String(e)}`,
      { where: rel },
    );
  }
}

function stringList(v: unknown, fallback: string[]): string[] {
  if (v === undefined || v === null) return fallback;
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function readProjectFile(dir: string): ProjectFile {
  const file = path.join(dir, 'dbt_project.yml');
  if (!fs.existsSync(file))
    throw new FareboxError('transform_invalid', `no dbt_project.yml in ${dir}`, {
      where: dir,
      hint: 'point --project-dir at the folder holding dbt_project.yml',
    });
  const settings = readYaml(file, 'dbt_project.yml');
  if (!isMapping(settings) || typeof settings.name !== 'string')
    throw new FareboxError('transform_invalid', 'dbt_project.yml must be a mapping with a name', {
      where: file,
    });
  const name = settings.name;
  const rawVars = isMapping(settings.vars) ? settings.vars : {};
  const vars: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rawVars)) if (!(k === name && isMapping(v))) vars[k] = v;
  if (isMapping(rawVars[name])) Object.assign(vars, rawVars[name]);
  const profileName = typeof settings.profile === 'string' ? settings.profile : name;
  return {
    name,
    dir,
    settings,
    paths: {
      modelPaths: stringList(settings['model-paths'] ?? settings['source-paths'], ['models']),
      seedPaths: stringList(settings['seed-paths'] ?? settings['data-paths'], ['seeds']),
      testPaths: stringList(settings['test-paths'], ['tests']),
      macroPaths: stringList(settings['macro-paths'], ['macros']),
    },
    vars,
    profileName,
    targetName: profileTarget(dir, profileName),
  };
}

function profileTarget(dir: string, profileName: string): string {
  const file = path.join(dir, 'profiles.yml');
  if (!fs.existsSync(file)) return 'dev';
  const profiles = readYaml(file, 'profiles.yml');
  const profile = isMapping(profiles) ? profiles[profileName] : undefined;
  return isMapping(profile) && typeof profile.target === 'string' ? profile.target : 'dev';
}

/** Mappings that are configuration values themselves, not subfolders, under a `models:` path. */
const mappingConfigs = new Set([
  'meta',
  'column_types',
  'persist_docs',
  'grants',
  'docs',
  'contract',
  'settings',
  'query_settings',
  'quoting',
  'freshness',
]);

/**
 * The configuration dbt_project.yml gives a resource with this fqn under `key` (models, seeds, data_tests):
 * each level's `+config` (or a plain key that is not a subfolder) applies to everything below it. dbt's
 * `unrendered_config` is built with a plain update (Object.assign) instead of the config merge.
 */
export function pathConfig(
  settings: Record<string, unknown>,
  keys: string[],
  fqn: string[],
  merge: (into: NodeConfig, from: NodeConfig) => unknown = mergeConfig,
): NodeConfig {
  const config: NodeConfig = {};
  for (const key of keys) {
    let level: unknown = settings[key];
    for (let depth = 0; isMapping(level); depth++) {
      const here: NodeConfig = {};
      for (const [k, v] of Object.entries(level)) {
        const isFolder = !k.startsWith('+') && isMapping(v) && !mappingConfigs.has(k);
        if (!isFolder) here[k.replace(/^\+/, '')] = v;
      }
      merge(config, here);
      const next = fqn[depth];
      if (next === undefined) break;
      const child = level[next];
      level = isMapping(child) ? child : undefined;
    }
  }
  return config;
}

/** Files under `root` (recursively) whose names end with one of `exts`, as paths relative to `base`. */
export function listFiles(base: string, root: string, exts: string[]): string[] {
  const abs = path.join(base, root);
  if (!fs.existsSync(abs)) return [];
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (exts.some((e) => entry.name.endsWith(e)))
        out.push(path.relative(base, full).split(path.sep).join('/'));
    }
  };
  walk(abs);
  return out;
}
