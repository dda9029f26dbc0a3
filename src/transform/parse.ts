/**
 * Loads a dbt-format project into nodes, as `dbt parse` does: every model and singular test is rendered
 * once with a recording context to learn its refs, sources and `config()`; configuration is merged from
 * dbt_project.yml paths, then properties YAML, then the file's own `config()`.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FareboxError } from '../errors/index.ts';
import { builtinMacros } from './builtins.ts';
import { emptyCaptured, mergeConfig, parseScope, renderStrings } from './context.ts';
import { defaultConfig, projectConfigKeys } from './defaults.ts';
import { addExposures, addSources } from './parse-yaml.ts';
import { addGenericTests } from './parse-tests.ts';
import { createJinja } from './jinja.ts';
import { listFiles, pathConfig, readProjectFile } from './project-file.ts';
import { readProperties, type Patch } from './properties.ts';
import { resolveDependencies } from './resolve.ts';
import type { BaseNode, MacroDef, Node, NodeType, Project } from './types.ts';

export interface LoadOptions {
  /** dbt's target schema: the warehouse's database. */
  targetSchema: string;
  targetName?: string;
  /** `--vars`, over the project's. */
  vars?: Record<string, unknown>;
  env?: Readonly<Record<string, string | undefined>>;
  threads?: number;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Where a node lands: dbt's generate_schema_name and generate_alias_name, or the project's own. */
function place(project: Project, node: BaseNode): void {
  const custom = node.config.schema;
  const scope = parseScope(project, node as Node, emptyCaptured());
  const schemaMacro = project.jinja.macro('generate_schema_name');
  node.schema =
    schemaMacro !== undefined
      ? project.jinja
          .render('{{ generate_schema_name(custom, node) }}', node.originalFilePath, {
            ...scope,
            custom: custom ?? null,
            node: scope.model,
          })
          .trim()
      : typeof custom === 'string' && custom.trim() !== ''
        ? `${project.target.schema}_${custom.trim()}`
        : project.target.schema;
  const alias = node.config.alias;
  node.alias = typeof alias === 'string' && alias !== '' ? alias : node.name;
}

function newNode(
  project: Project,
  type: NodeType,
  file: string,
  root: string,
  rawCode: string,
  patch: Patch | undefined,
): BaseNode {
  const rel = path.posix.relative(root, file);
  const name = path.posix.basename(rel).replace(/\.(sql|csv)$/, '');
  const fqn = [
    project.name,
    ...path.posix
      .dirname(rel)
      .split('/')
      .filter((p) => p !== '.'),
    name,
  ];
  const config = mergeConfig(
    defaultConfig(type),
    renderStrings(project, pathConfig(project.settings, projectConfigKeys[type], fqn), file),
  );
  if (patch !== undefined) mergeConfig(config, patch.config);
  return {
    uniqueId: `${type}.${project.name}.${name}`,
    resourceType: type,
    name,
    path: rel,
    originalFilePath: file,
    fqn,
    tags: [],
    description: patch?.description ?? '',
    meta: {},
    config,
    unrenderedConfig: {
      ...pathConfig(project.settings, projectConfigKeys[type], fqn, Object.assign),
      ...(patch?.config ?? {}),
    },
    columns: patch?.columns ?? {},
    patchPath: patch === undefined ? null : `${project.name}://${patch.file}`,
    rawCode,
    refs: [],
    sources: [],
    dependsOn: { macros: [], nodes: [] },
    schema: project.target.schema,
    alias: name,
    checksum: sha256(rawCode),
  };
}

/** Renders a model or singular test once to record its refs, sources and config() calls. */
function parseSql(project: Project, node: BaseNode): void {
  const captured = emptyCaptured();
  project.jinja.render(node.rawCode, node.originalFilePath, parseScope(project, node as Node, captured));
  mergeConfig(node.config, captured.config);
  Object.assign(node.unrenderedConfig, captured.config);
  // dbt keeps every ref() call, repeats included; depends_on.nodes is what is deduplicated.
  node.refs = captured.refs;
  node.sources = captured.sources;
  node.dependsOn.macros = [...captured.macros].map((m) =>
    project.macros.has(`macro.${project.name}.${m}`)
      ? `macro.${project.name}.${m}`
      : m === 'is_incremental'
        ? 'macro.dbt_clickhouse.is_incremental'
        : `macro.dbt.${m}`,
  );
}

function finish(project: Project, node: BaseNode): void {
  const tags = node.config.tags;
  node.tags = Array.isArray(tags) ? tags.map(String) : typeof tags === 'string' ? [tags] : [];
  node.config.tags = node.tags;
  node.meta = (node.config.meta ?? {}) as Record<string, unknown>;
  place(project, node);
  if (node.config.enabled === false) return;
  const clash = project.nodes.get(node.uniqueId);
  if (clash !== undefined)
    throw new FareboxError(
      'transform_invalid',
      `two ${node.resourceType}s are named '${node.name}': ${clash.originalFilePath} and ${node.originalFilePath}`,
      { where: node.originalFilePath, hint: 'dbt needs names unique within a project' },
    );
  project.nodes.set(node.uniqueId, node as Node);
}

export function loadProject(dir: string, options: LoadOptions): Project {
  const file = readProjectFile(path.resolve(dir));
  const read = (rel: string): string => fs.readFileSync(path.join(file.dir, rel), 'utf8');
  const macroFiles = [
    ...file.paths.macroPaths.flatMap((p) => listFiles(file.dir, p, ['.sql'])),
    ...file.paths.testPaths.flatMap((p) => listFiles(file.dir, path.posix.join(p, 'generic'), ['.sql'])),
  ];
  const jinja = createJinja(
    macroFiles.map((rel) => ({ path: rel, text: read(rel) })),
    builtinMacros,
  );
  const macros = new Map<string, MacroDef>();
  for (const [name, from] of jinja.macros())
    if (macroFiles.includes(from))
      macros.set(`macro.${file.name}.${name}`, {
        uniqueId: `macro.${file.name}.${name}`,
        name,
        originalFilePath: from,
      });
  const project: Project = {
    name: file.name,
    dir: file.dir,
    settings: file.settings,
    paths: file.paths,
    vars: { ...file.vars, ...(options.vars ?? {}) },
    target: {
      name: options.targetName ?? file.targetName,
      schema: options.targetSchema,
      type: 'clickhouse',
      database: '',
      profile_name: file.profileName,
      threads: options.threads ?? 4,
    },
    nodes: new Map(),
    sources: new Map(),
    exposures: new Map(),
    macros,
    jinja,
    env: options.env ?? {},
  };
  const { modelPaths, seedPaths, testPaths } = file.paths;
  const yml = [...modelPaths, ...seedPaths, ...testPaths].flatMap((p) =>
    listFiles(file.dir, p, ['.yml', '.yaml']),
  );
  const props = readProperties(file.dir, yml);

  for (const root of modelPaths)
    for (const rel of listFiles(file.dir, root, ['.sql'])) {
      const name = path.posix.basename(rel, '.sql');
      const node = newNode(project, 'model', rel, root, read(rel).trim(), props.models.get(name));
      parseSql(project, node);
      finish(project, node);
    }
  for (const root of seedPaths)
    for (const rel of listFiles(file.dir, root, ['.csv'])) {
      const name = path.posix.basename(rel, '.csv');
      const node = newNode(project, 'seed', rel, root, '', props.seeds.get(name));
      node.checksum = sha256(read(rel).trim());
      finish(project, { ...node, absolutePath: path.join(file.dir, rel) } as Node);
    }
  for (const root of testPaths)
    for (const rel of listFiles(file.dir, root, ['.sql'])) {
      if (rel.startsWith(path.posix.join(root, 'generic') + '/')) continue;
      const node = newNode(project, 'test', rel, root, read(rel).trim(), undefined);
      Object.assign(node, {
        testMetadata: undefined,
        columnName: null,
        attachedNode: null,
        fileKeyName: null,
      });
      parseSql(project, node);
      finish(project, node);
    }
  addSources(project, props.sources);
  addGenericTests(project, props, finish);
  addExposures(project, props.exposures);
  resolveDependencies(project);
  return project;
}
