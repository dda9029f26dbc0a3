/**
 * The names dbt puts in front of a model's Jinja: ref, source, config, var, env_var, is_incremental, this,
 * target, execute, model, adapter (quote, dispatch), log, exceptions, return. At parse time ref and source
 * only record what they are given (dbt's parse pass); at run time they resolve to relations.
 */
import { randomUUID } from 'node:crypto';
import { FareboxError } from '../errors/index.ts';
import { macroHook, raise, type Jinja, type Scope } from './jinja.ts';
import { quoteIdent, Relation } from './relation.ts';
import type { Node, NodeConfig, Project, RefCall, TargetInfo } from './types.ts';

/** What a render found: refs, sources, `config()` calls and macros, in the order met. */
export interface Captured {
  refs: RefCall[];
  sources: [string, string][];
  config: NodeConfig;
  macros: Set<string>;
}

export function emptyCaptured(): Captured {
  return { refs: [], sources: [], config: {}, macros: new Set() };
}

export interface ContextInput {
  jinja: Jinja;
  projectName: string;
  target: TargetInfo;
  /** Project vars with --vars over them. */
  vars: Record<string, unknown>;
  env: Readonly<Record<string, string | undefined>>;
  execute: boolean;
  /** The node being rendered, if any (schema YAML and dbt_project.yml render without one). */
  node?: Node | undefined;
  self?: Relation | undefined;
  isIncremental?: boolean;
  resolveRef?: (ref: RefCall) => Relation;
  resolveSource?: (source: string, table: string) => Relation;
  captured?: Captured;
  invocationId?: string;
  runStartedAt?: Date;
}

interface Keywords {
  __keywords?: true;
  [k: string]: unknown;
}

/** nunjucks passes `f(a, b=1)` as (a, {b: 1, __keywords: true}). */
export function splitArgs(args: unknown[]): { positional: unknown[]; kwargs: Record<string, unknown> } {
  const last = args.at(-1) as Keywords | undefined;
  if (last !== null && typeof last === 'object' && last.__keywords === true) {
    const kwargs: Record<string, unknown> = { ...last };
    delete kwargs.__keywords;
    return { positional: args.slice(0, -1), kwargs };
  }
  return { positional: args, kwargs: {} };
}

const appended = new Set(['tags', 'pre-hook', 'post-hook']);

/** dbt's config merge: tags and hooks accumulate, meta-like mappings merge, anything else is replaced. */
export function mergeConfig(into: NodeConfig, from: NodeConfig): NodeConfig {
  for (const [rawKey, value] of Object.entries(from)) {
    const key = rawKey.replace(/^\+/, '').replace(/^(pre|post)_hook$/, '$1-hook');
    const prev = into[key];
    if (appended.has(key)) {
      const list = (v: unknown): unknown[] =>
        v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
      const merged = [...list(prev), ...list(value)];
      into[key] = key === 'tags' ? [...new Set(merged)] : merged;
    } else if (
      key === 'meta' &&
      typeof prev === 'object' &&
      prev !== null &&
      typeof value === 'object' &&
      value !== null
    ) {
      into[key] = { ...prev, ...value };
    } else into[key] = value;
  }
  return into;
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string') raise(new FareboxError('transform_invalid', `${what} must be a string`));
  return v;
}

export function buildContext(input: ContextInput): Scope {
  const { node, captured } = input;
  const where = node === undefined ? '' : ` in ${node.resourceType} ${node.name} (${node.originalFilePath})`;
  const configOf = (): NodeConfig => ({ ...(node?.config ?? {}), ...(captured?.config ?? {}) });

  const ref = (...args: unknown[]): Relation | string => {
    const { positional, kwargs } = splitArgs(args);
    const [a, b] = positional;
    const call: RefCall = {
      name: text(b ?? a, 'ref() name'),
      package: b === undefined ? null : text(a, 'ref() package'),
      version:
        kwargs.version === undefined && kwargs.v === undefined ? null : String(kwargs.version ?? kwargs.v),
    };
    captured?.refs.push(call);
    return input.resolveRef === undefined ? '' : input.resolveRef(call);
  };
  const source = (...args: unknown[]): Relation | string => {
    const { positional } = splitArgs(args);
    const pair: [string, string] = [
      text(positional[0], 'source() name'),
      text(positional[1], 'source() table name'),
    ];
    captured?.sources.push(pair);
    return input.resolveSource === undefined ? '' : input.resolveSource(pair[0], pair[1]);
  };
  const config = Object.assign(
    (...args: unknown[]): string => {
      const { positional, kwargs } = splitArgs(args);
      const given = (positional[0] ?? {}) as NodeConfig;
      if (captured !== undefined) mergeConfig(captured.config, { ...given, ...kwargs });
      return '';
    },
    {
      get: (key: string, fallback: unknown = null) => configOf()[key] ?? fallback,
      require: (key: string) => {
        const v = configOf()[key];
        if (v === undefined || v === null)
          raise(new FareboxError('transform_invalid', `config '${key}' is required${where}`));
        return v;
      },
    },
  );
  const var_ = (name: unknown, fallback?: unknown): unknown => {
    const key = text(name, 'var() name');
    if (key in input.vars) return input.vars[key];
    if (fallback !== undefined) return fallback;
    if (!input.execute && node !== undefined) return null;
    return raise(
      new FareboxError('transform_invalid', `Required var '${key}' not found in config${where}`, {
        hint: `set it under vars: in dbt_project.yml or pass --vars '{${key}: …}'`,
      }),
    );
  };
  const envVar = (name: unknown, fallback?: unknown): unknown => {
    const key = text(name, 'env_var() name');
    const v = input.env[key];
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    return raise(
      new FareboxError('transform_invalid', `Env var required but not provided: '${key}'${where}`),
    );
  };
  const dispatch = (name: unknown, _namespace?: unknown): unknown => {
    const base = text(name, 'adapter.dispatch() name');
    for (const candidate of [`clickhouse__${base}`, `default__${base}`, base]) {
      const fn = input.jinja.macro(candidate);
      if (fn !== undefined) return fn;
    }
    return raise(new FareboxError('transform_invalid', `no macro for adapter.dispatch('${base}')${where}`));
  };
  const started = input.runStartedAt ?? new Date();
  return {
    ref,
    source,
    config,
    var: var_,
    env_var: envVar,
    is_incremental: () => {
      // A macro in dbt (dbt-clickhouse's own), so it is listed among the node's macros.
      captured?.macros.add('is_incremental');
      return input.isIncremental === true;
    },
    /** A test's `where:` config narrows the model it reads (dbt's get_where_subquery). */
    get_where_subquery: (relation: unknown) => {
      const filter = node?.config.where;
      return typeof filter === 'string' && filter !== ''
        ? `(select * from ${String(relation)} where ${filter}) dbt_subquery`
        : relation;
    },
    this: input.self,
    target: input.target,
    execute: input.execute,
    project_name: input.projectName,
    invocation_id: input.invocationId ?? randomUUID(),
    run_started_at: started.toISOString().replace('T', ' ').replace('Z', '+00:00'),
    model:
      node === undefined
        ? undefined
        : {
            name: node.name,
            unique_id: node.uniqueId,
            resource_type: node.resourceType,
            schema: node.schema,
            alias: node.alias,
            config: node.config,
            tags: node.tags,
            fqn: node.fqn,
            original_file_path: node.originalFilePath,
          },
    adapter: { quote: (s: unknown) => quoteIdent(String(s)), dispatch },
    log: () => '',
    [macroHook]: (name: string) => captured?.macros.add(name),
    exceptions: {
      raise_compiler_error: (msg: unknown) =>
        raise(new FareboxError('transform_invalid', `Compilation Error${where}: ${String(msg)}`)),
      warn: () => '',
    },
  };
}

/** A context for parse-time renders of `node` (or of project-level text when there is none). */
export function parseScope(project: Project, node: Node | undefined, captured: Captured): Scope {
  return buildContext({
    jinja: project.jinja,
    projectName: project.name,
    target: project.target,
    vars: project.vars,
    env: project.env,
    execute: false,
    node,
    captured,
    self: node === undefined ? undefined : new Relation(node.schema, node.alias),
    resolveRef: (r) => new Relation(project.target.schema, r.name),
    resolveSource: (s, t) => new Relation(s, t),
  });
}

/** Renders the Jinja inside string values (`+schema: "{{ var('x') }}"`); hooks wait for run time. */
export function renderStrings(project: Project, config: NodeConfig, where: string): NodeConfig {
  const out: NodeConfig = {};
  for (const [k, v] of Object.entries(config))
    out[k] =
      typeof v === 'string' && /\{[{%]/.test(v) && !k.endsWith('hook')
        ? project.jinja.render(v, where, parseScope(project, undefined, emptyCaptured()))
        : v;
  return out;
}
