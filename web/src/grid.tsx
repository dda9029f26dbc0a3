/** A result grid: sortable columns (click a header), numbers right-aligned, NULLs marked. */
import { useMemo, useState } from 'preact/hooks';
import type { Column, Row } from './api.ts';
import { text } from './text.ts';

const numeric = /^(U?Int|Float|Decimal)/;

const cell = (v: unknown): string => text(v, 'NULL');

export function Grid({ columns, rows, max = 1000 }: { columns: Column[]; rows: Row[]; max?: number }) {
  const [sort, setSort] = useState<{ col: string; desc: boolean } | undefined>(undefined);
  const sorted = useMemo(() => {
    if (sort === undefined) return rows;
    const type = columns.find((c) => c.name === sort.col)?.type ?? '';
    const key = (r: Row) =>
      numeric.test(type.replace('Nullable(', '')) ? Number(r[sort.col]) : cell(r[sort.col]);
    return [...rows].sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (sort.desc ? -1 : 1);
    });
  }, [rows, columns, sort]);
  const shown = sorted.slice(0, max);
  return (
    <div class="grid-wrap">
      <table class="grid">
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c.name}
                title={c.type}
                class={numeric.test(c.type.replace('Nullable(', '')) ? 'num' : ''}
                onClick={() => setSort({ col: c.name, desc: sort?.col === c.name ? !sort.desc : false })}
              >
                {c.name}
                {sort?.col === c.name ? (sort.desc ? ' ▾' : ' ▴') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => (
            <tr key={i}>
              {columns.map((c) => {
                const v = r[c.name];
                return (
                  <td
                    key={c.name}
                    class={`${numeric.test(c.type.replace('Nullable(', '')) ? 'num' : ''}${v === null ? ' null' : ''}`}
                    title={cell(v).length > 40 ? cell(v) : undefined}
                  >
                    <div class="cell">{cell(v)}</div>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {sorted.length > max && (
        <p class="muted">
          showing {max} of {sorted.length} rows
        </p>
      )}
    </div>
  );
}
