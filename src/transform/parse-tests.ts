/** Generic test nodes from properties YAML: one per test entry on a model, seed or source column. */
import { emptyCaptured, mergeConfig, parseScope, renderStrings, type Captured } from './context.ts';
import { defaultConfig, projectConfigKeys } from './defaults.ts';
import { buildGenericTest, type BuiltTest, type TestTarget } from './generic-tests.ts';
import type { Scope } from './jinja.ts';
import { yamlFolders } from './parse-yaml.ts';
import { pathConfig } from './project-file.ts';
import { pyStr } from './python.ts';
import type { Patch, Properties } from './properties.ts';
import type { BaseNode, Project, TestNode } from './types.ts';

/** dbt renders a kwarg that looks like one of these calls as `{{ … }}` (add_rendered_test_kwargs). */
const looksLikeCall = /^\s*(env_var|ref|var|source|doc)\s*\(.+\)\s*$/s;

/** The test macro's arguments rendered: refs become relations, `{{ … }}` is evaluated, column_name is kept. */
export function renderTestKwargs(
  project: Project,
  kwargs: Record<string, unknown>,
  file: string,
  scope: Scope,
): Record<string, unknown> {
  const render = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const text = looksLikeCall.test(v) ? `{{ ${v} }}` : v;
      return /\{[{%]/.test(text) ? project.jinja.render(text, file, scope) : text;
    }
    if (Array.isArray(v)) return v.map(render);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, render(x)]));
    return v;
  };
  return Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, k === 'column_name' ? v : render(v)]));
}

interface Target {
  patch: Patch;
  target: TestTarget;
  attachedNode: string | null;
  fileKeyName: string;
}

function targetsOf(project: Project, props: Properties): Target[] {
  const out: Target[] = [];
  for (const kind of ['model', 'seed'] as const)
    for (const patch of props[`${kind}s`].values()) {
      const id = `${kind}.${project.name}.${patch.name}`;
      out.push({
        patch,
        target: { kind, name: patch.name },
        attachedNode: project.nodes.has(id) ? id : null,
        fileKeyName: `${kind}s.${patch.name}`,
      });
    }
  for (const s of props.sources)
    for (const t of s.tables)
      out.push({
        patch: t,
        target: { kind: 'source', name: t.name, sourceName: s.name },
        attachedNode: null,
        fileKeyName: `sources.${s.name}`,
      });
  return out;
}

/** dbt's raw_code for a generic test: the macro call, then its YAML config as a config() call. */
function rawCode(built: BuiltTest): string {
  const macro = `${built.namespace === null ? '' : `${built.namespace}.`}test_${built.testName}`;
  const config = Object.entries(built.config)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? `"${v.replaceAll('"', '\\"')}"` : pyStr(v)}`)
    .join(',');
  return `{{ ${macro}(**_dbt_generic_test_kwargs) }}${config === '' ? '' : `{{ config(${config}) }}`}`;
}

/** dbt's only shortcut: not_null and unique skip rendering, so get_where_subquery is not recorded. */
function testMacros(project: Project, name: string, namespace: string | null): string[] {
  const own = `macro.${project.name}.test_${name}`;
  const macro =
    namespace === null && project.macros.has(own) ? own : `macro.${namespace ?? 'dbt'}.test_${name}`;
  return macro === 'macro.dbt.test_not_null' || macro === 'macro.dbt.test_unique'
    ? [macro]
    : [macro, 'macro.dbt.get_where_subquery'];
}

export function addGenericTests(
  project: Project,
  props: Properties,
  finish: (project: Project, node: BaseNode) => void,
): void {
  for (const { patch, target, attachedNode, fileKeyName } of targetsOf(project, props))
    for (const decl of patch.tests) {
      const built = buildGenericTest(decl.entry, target, decl.column);
      // dbt renders a test's config values (a `where:` with a var …) when it parses the test.
      built.config = renderStrings(project, built.config, patch.file);
      const fqn = [project.name, ...yamlFolders(project, patch.file), built.fullName];
      const config = mergeConfig(
        mergeConfig(defaultConfig('test'), pathConfig(project.settings, projectConfigKeys.test, fqn)),
        built.config,
      );
      config.tags = [
        ...new Set([...decl.columnTags, ...((config.tags as string[] | undefined) ?? [])]),
      ].sort();
      const node: TestNode = {
        uniqueId: `test.${project.name}.${built.fullName}.${built.hash}`,
        resourceType: 'test',
        name: built.fullName,
        path: `${built.shortName}.sql`,
        originalFilePath: patch.file,
        fqn,
        tags: [],
        description: built.description,
        meta: {},
        config,
        unrenderedConfig: built.config,
        columns: {},
        patchPath: null,
        rawCode: rawCode(built),
        refs: [],
        sources: [],
        dependsOn: { macros: testMacros(project, built.testName, built.namespace), nodes: [] },
        schema: project.target.schema,
        alias: built.shortName,
        checksum: '',
        testMetadata: { name: built.testName, kwargs: built.kwargs, namespace: built.namespace },
        columnName: decl.column,
        attachedNode,
        fileKeyName,
      };
      const captured: Captured = emptyCaptured();
      renderTestKwargs(project, built.kwargs, patch.file, parseScope(project, node, captured));
      node.refs = captured.refs;
      node.sources = captured.sources;
      finish(project, node);
    }
}
