/**
 * dbt's Jinja on nunjucks. One environment per project: the macro files are compiled once, and each
 * render names the dbt context (ref, source, config, this …) it runs with. Rendering is synchronous, so a
 * single "current scope" that the globals read through is safe even when nodes build in parallel.
 */
import nunjucks from 'nunjucks';
import { FareboxError } from '../errors/index.ts';
import { textOf } from './values.ts';

// Python-style methods (upper(), items(), append()), True/False/None and slices, which dbt SQL uses.
nunjucks.installJinjaCompat();

export interface TemplateSource {
  path: string;
  text: string;
}

export type Scope = Record<string, unknown>;

/** A scope entry called with each macro's name as it runs, so a node can list the macros it depends on. */
export const macroHook = '__farebox_macro_called';

export interface Jinja {
  /** Renders `text` from file `path` with `scope` visible to it and to every macro it calls. */
  render(text: string, path: string, scope: Scope): string;
  /** Calls a project or built-in macro by name with keyword arguments. */
  callMacro(name: string, kwargs: Record<string, unknown>, scope: Scope): unknown;
  /** A macro as a function taking Jinja's arguments, for adapter.dispatch. */
  macro(name: string): ((...args: unknown[]) => unknown) | undefined;
  /** Macro names with the file each comes from. */
  macros(): ReadonlyMap<string, string>;
}

/** `{{ return(x) }}` ends a macro with a value, as in dbt: thrown through the macro, caught by its wrapper. */
class MacroReturn extends Error {
  readonly value: unknown;
  constructor(value: unknown) {
    super('return() outside a macro');
    this.value = value;
  }
}

/**
 * Macro names are renamed in the source so that a call between macros of one file goes through the
 * wrapped (return-aware) function too. The prefix must not start with '_': nunjucks keeps those private.
 */
const rawPrefix = 'fbraw__';

function prepareMacroSource(text: string): string {
  return text
    .replace(/\{%(-?)\s*test\s+([A-Za-z_]\w*)\s*\(/g, `{%$1 macro ${rawPrefix}test_$2(`)
    .replace(/\{%(-?)\s*endtest\s*(-?)%\}/g, '{%$1 endmacro $2%}')
    .replace(/\{%(-?)\s*macro\s+([A-Za-z_]\w*)\s*\(/g, (m: string, dash: string, name: string) =>
      name.startsWith(rawPrefix) ? m : `{%${dash} macro ${rawPrefix}${name}(`,
    );
}

interface NunjucksParser {
  nextToken(): { value: string };
  parseExpression(): unknown;
  advanceAfterBlockEnd(name: string): void;
}
interface NunjucksNodes {
  CallExtension: new (ext: object, prop: string, args: unknown, contentArgs: unknown[]) => unknown;
  NodeList: new (lineno: number, colno: number, children: unknown[]) => unknown;
}

/** Jinja's `{% do expr %}`: evaluates an expression for its effect, as dbt macros do with list.append. */
const doExtension = {
  tags: ['do'],
  parse(parser: NunjucksParser, nodes: NunjucksNodes) {
    const tok = parser.nextToken();
    const expr = parser.parseExpression();
    parser.advanceAfterBlockEnd(tok.value);
    return new nodes.CallExtension(doExtension, 'run', new nodes.NodeList(0, 0, [expr]), []);
  },
  run: () => '',
};

/**
 * A FareboxError raised inside a render (an unknown ref …). nunjucks flattens what is thrown through a
 * template into text, so the error is kept here and rethrown whole once the render unwinds.
 */
let pending: FareboxError | undefined;

/** Throws `e` out of a render with its code, hint and place intact. */
export function raise(e: FareboxError): never {
  pending ??= e;
  throw e;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function createJinja(
  macroFiles: readonly TemplateSource[],
  builtins: readonly TemplateSource[],
): Jinja {
  const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: false });
  env.addExtension('do', doExtension);
  const base: Scope = { ...(env as unknown as { globals: Scope }).globals };
  base.return = (value: unknown) => {
    throw new MacroReturn(value);
  };
  const stack: Scope[] = [];
  const macros = new Map<string, (...args: unknown[]) => unknown>();
  const sourceOf = new Map<string, string>();
  const lookup = (k: string): unknown => {
    const scope = stack.at(-1);
    if (scope !== undefined && k in scope) return scope[k];
    return macros.get(k) ?? base[k];
  };
  (env as unknown as { globals: Scope }).globals = new Proxy(base, {
    has: (_t, k) => typeof k === 'string' && lookup(k) !== undefined,
    get: (_t, k) => (typeof k === 'string' ? lookup(k) : undefined),
  });

  const templates = new Map<string, nunjucks.Template>();
  const compile = (text: string, path: string): nunjucks.Template => {
    const key = `${path}\0${text}`;
    let t = templates.get(key);
    if (t === undefined) {
      try {
        t = new nunjucks.Template(text, env, path, true);
      } catch (e) {
        throw new FareboxError('transform_invalid', `Jinja syntax error in ${path}: ${describe(e)}`, {
          where: path,
        });
      }
      templates.set(key, t);
    }
    return t;
  };

  const withScope = <T>(scope: Scope, path: string, fn: () => T): T => {
    stack.push(scope);
    try {
      return fn();
    } catch (e) {
      const inner = pending;
      pending = undefined;
      if (inner !== undefined) throw inner;
      if (e instanceof FareboxError) throw e;
      throw new FareboxError('transform_invalid', `Compilation Error in ${path}: ${describe(e)}`, {
        where: path,
      });
    } finally {
      stack.pop();
    }
  };

  const wrap =
    (name: string, fn: (...args: unknown[]) => unknown) =>
    (...args: unknown[]): unknown => {
      const hook = stack.at(-1)?.[macroHook];
      if (typeof hook === 'function') (hook as (n: string) => void)(name);
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof MacroReturn) return e.value;
        throw e;
      }
    };

  for (const file of [...builtins, ...macroFiles]) {
    const template = compile(prepareMacroSource(file.text), file.path);
    const exported = withScope({}, file.path, () => {
      let out: Record<string, unknown> = {};
      (
        template as unknown as {
          getExported(ctx: object, cb: (err: unknown, ex: Record<string, unknown>) => void): void;
        }
      ).getExported({}, (err, ex) => {
        if (err !== null && err !== undefined) throw err instanceof Error ? err : new Error(textOf(err));
        out = ex;
      });
      return out;
    });
    for (const [raw, fn] of Object.entries(exported)) {
      if (!raw.startsWith(rawPrefix) || typeof fn !== 'function') continue;
      const name = raw.slice(rawPrefix.length);
      const clash = sourceOf.get(name);
      if (clash !== undefined && !builtins.some((b) => b.path === clash))
        throw new FareboxError(
          'transform_invalid',
          `two macros are named '${name}': in ${clash} and in ${file.path}`,
          { where: file.path, hint: 'dbt needs macro names unique within a project' },
        );
      macros.set(name, wrap(name, fn as (...args: unknown[]) => unknown));
      sourceOf.set(name, file.path);
    }
  }

  return {
    render(text, path, scope) {
      const template = compile(text, path);
      return withScope(scope, path, () => template.render({}));
    },
    callMacro(name, kwargs, scope) {
      const fn = macros.get(name);
      if (fn === undefined)
        throw new FareboxError('transform_invalid', `macro '${name}' is not defined`, {
          hint: 'define it in a file under macros/',
        });
      const args = (
        nunjucks as unknown as { runtime: { makeKeywordArgs(o: object): object } }
      ).runtime.makeKeywordArgs({ ...kwargs });
      return withScope(scope, sourceOf.get(name) ?? name, () => fn(args));
    },
    macro: (name) => macros.get(name),
    macros: () => sourceOf,
  };
}
