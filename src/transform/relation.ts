/** A table or view as models see it through `ref`, `source` and `this`: `database`.`table` in ClickHouse. */

/** dbt-clickhouse quotes every identifier with backticks. */
export function quoteIdent(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}

export class Relation {
  /**
   * `schema` is dbt's schema, which dbt-clickhouse maps to a ClickHouse database; `cte` marks an
   * ephemeral model, which renders as the name of the CTE that inlines it.
   */
  readonly schema: string;
  readonly identifier: string;
  readonly cte: boolean;

  constructor(schema: string, identifier: string, cte = false) {
    this.schema = schema;
    this.identifier = identifier;
    this.cte = cte;
  }

  get name(): string {
    return this.identifier;
  }

  get table(): string {
    return this.identifier;
  }

  /** ClickHouse has no level above databases; dbt-clickhouse leaves `database` empty. */
  get database(): string {
    return '';
  }

  toString(): string {
    return this.cte ? this.identifier : `${quoteIdent(this.schema)}.${quoteIdent(this.identifier)}`;
  }
}

export function cteName(model: string): string {
  return `__dbt__cte__${model}`;
}
