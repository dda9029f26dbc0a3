/**
 * Run-time rendering: refs resolve to relations, ephemeral models to CTEs injected at the top of the
 * query (dbt's `__dbt__cte__<name>`), generic tests to their macro's SQL.
 */
import { FareboxError } from '../errors/index.ts';
import { buildContext } from './context.ts';
import { renderTestKwargs } from './parse-tests.ts';
import { cteName, Relation } from './relation.ts';
import type { Node, Project, RefCall } from './types.ts';
import { isMapping, textOf } from './values.ts';

export interface CompileOptions {
  invocationId: string;
  runStartedAt: Date;
}

export interface Compiled {
  /** The SQL as run, ephemeral CTEs injected. */
  sql: string;
  /** Ephemeral models inlined, innermost first. */
  ctes: string[];
  /** `pre-hook` / `post-hook` statements, rendered, run before and after the node is built. */
  preHooks: string[];
  postHooks: string[];
}

/** A hook config as dbt accepts it: one SQL string, a list of them, or {sql: …} mappings. */
function hookTexts(v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  return list.map((h) => (isMapping(h) ? textOf(h.sql) : textOf(h)));
}

function nodeByName(project: Project, name: string): Node | undefined {
  for (const n of project.nodes.values()) if (n.name === name && n.resourceType !== 'test') return n;
  return undefined;
}

/** Puts the CTEs in front of the query, inside its own leading WITH if it has one (as dbt's _add_ctes). */
export function injectCtes(sql: string, ctes: { name: string; sql: string }[]): string {
  if (ctes.length === 0) return sql;
  const defs = ctes.map((c) => `${cteName(c.name)} as (\n${c.sql}\n)`).join(',\n');
  const lead = /^((?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*)with\b/i.exec(sql);
  if (lead !== null) return `${lead[1] ?? ''}with ${defs},${sql.slice(lead[0].length)}`;
  return `with ${defs}\n${sql}`;
}

/** A model's SELECT without the trailing semicolon people type, so it can be wrapped. */
export function bareSelect(sql: string): string {
  return sql.replace(/;\s*$/, '').trim();
}

/**
 * Renders `node` for execution. `isIncremental` is the answer `is_incremental()` gives, which the runner
 * knows from the warehouse (the table exists, is not a view, no --full-refresh).
 */
export function compileNode(
  project: Project,
  node: Node,
  isIncremental: boolean,
  options: CompileOptions,
): Compiled {
  const inlined: { id: string; name: string; sql: string }[] = [];
  const hooks = { pre: [] as string[], post: [] as string[] };

  const render = (n: Node, incremental: boolean): string => {
    const ephemeral: Node[] = [];
    const resolveRef = (r: RefCall): Relation => {
      const target = nodeByName(project, r.name);
      if (target === undefined)
        throw new FareboxError('transform_invalid', `${n.name} refers to '${r.name}', which was not found`);
      if (target.config.materialized === 'ephemeral' && target.resourceType === 'model') {
        ephemeral.push(target);
        return new Relation('', cteName(target.name), true);
      }
      return new Relation(target.schema, target.alias);
    };
    const resolveSource = (s: string, t: string): Relation => {
      const src = project.sources.get(`source.${project.name}.${s}.${t}`);
      if (src === undefined)
        throw new FareboxError(
          'transform_invalid',
          `${n.name} refers to source '${s}.${t}', which was not found`,
        );
      return new Relation(src.schema, src.identifier);
    };
    const scope = buildContext({
      jinja: project.jinja,
      projectName: project.name,
      target: project.target,
      vars: project.vars,
      env: project.env,
      execute: true,
      node: n,
      self: new Relation(n.schema, n.alias),
      isIncremental: incremental,
      resolveRef,
      resolveSource,
      invocationId: options.invocationId,
      runStartedAt: options.runStartedAt,
    });
    if (n === node) {
      const render = (key: string): string[] =>
        hookTexts(n.config[key])
          .map((h) => project.jinja.render(h, n.originalFilePath, scope).trim())
          .filter((h) => h !== '');
      hooks.pre = render('pre-hook');
      hooks.post = render('post-hook');
    }
    let sql: string;
    if (n.resourceType === 'test' && n.testMetadata !== undefined) {
      const kwargs = renderTestKwargs(project, n.testMetadata.kwargs, n.originalFilePath, scope);
      const macro = `test_${n.testMetadata.name}`;
      if (project.jinja.macro(macro) === undefined)
        throw new FareboxError(
          'transform_invalid',
          `test ${n.name} (${n.originalFilePath}) uses '${n.testMetadata.namespace === null ? '' : `${n.testMetadata.namespace}.`}${n.testMetadata.name}', but no macro ${macro} is defined`,
          {
            where: n.originalFilePath,
            hint: `write {% test ${n.testMetadata.name}(model, column_name) %} in macros/`,
          },
        );
      sql = String(project.jinja.callMacro(macro, kwargs, scope));
    } else sql = project.jinja.render(n.rawCode, n.originalFilePath, scope);
    for (const e of ephemeral)
      if (!inlined.some((c) => c.id === e.uniqueId)) {
        const inner = bareSelect(render(e, false));
        inlined.push({ id: e.uniqueId, name: e.name, sql: inner });
      }
    return sql;
  };

  const main = render(node, isIncremental);
  return {
    sql: injectCtes(bareSelect(main), inlined),
    ctes: inlined.map((c) => c.id),
    preHooks: hooks.pre,
    postHooks: hooks.post,
  };
}
