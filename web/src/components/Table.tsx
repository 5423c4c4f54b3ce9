/**
 * Records as a table: a row a record, a column a field. The column heads are header cells
 * (scope col); a column can make its cells the row headers (scope row), as the record's name.
 */
import type { ComponentChildren } from 'preact';
import { fmtAgo, fmtTime } from '../format';
import { href } from '../router';
import { Empty } from './Notice';

export interface Column<T> {
  head: ComponentChildren;
  /** The class of the head cell, and of the body cells when `cellClass` is not given. */
  class?: string;
  cellClass?: string | ((row: T, i: number) => string | undefined);
  /** The body cells are row headers (th scope="row"). */
  rowHeader?: boolean;
  title?: (row: T) => string | undefined;
  cell: (row: T, i: number) => ComponentChildren;
}

export interface TableProps<T> {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T, i: number) => string | number;
  /** Attributes of a row (data-*, class). */
  rowProps?: (row: T) => Record<string, unknown>;
  id?: string;
  /** Classes besides `table`. */
  class?: string;
  /** The table's name for assistive technology (visually hidden). */
  caption?: string;
  /** Shown instead of the table when there are no rows (the table, empty, when not given). */
  empty?: ComponentChildren;
}

function bodyCell<T>(c: Column<T>, row: T, i: number, key: number) {
  const cls =
    (typeof c.cellClass === 'function' ? c.cellClass(row, i) : (c.cellClass ?? c.class)) || undefined;
  return c.rowHeader ? (
    <th key={key} scope="row" class={cls} title={c.title?.(row)}>
      {c.cell(row, i)}
    </th>
  ) : (
    <td key={key} class={cls} title={c.title?.(row)}>
      {c.cell(row, i)}
    </td>
  );
}

export function DataTable<T>(p: TableProps<T>) {
  if (p.empty !== undefined && p.rows.length === 0) return <Empty>{p.empty}</Empty>;
  return (
    <div class="table-wrap">
      <table class={p.class ? `table ${p.class}` : 'table'} id={p.id}>
        {p.caption && <caption class="visually-hidden">{p.caption}</caption>}
        <thead>
          <tr>
            {p.columns.map((c, j) => (
              <th key={j} scope="col" class={c.class}>
                {c.head}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {p.rows.map((row, i) => (
            <tr key={p.rowKey(row, i)} {...p.rowProps?.(row)}>
              {p.columns.map((c, j) => bodyCell(c, row, i, j))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The record's name as the row header, a link to its page (`#/<section>/<name>`). */
export function linkColumn<T>(head: string, section: string, name: (row: T) => string): Column<T> {
  return {
    head,
    rowHeader: true,
    cell: (row) => <a href={href(section, name(row))}>{name(row)}</a>,
  };
}

/** When the record was made or changed: "3 min ago", the full time as the cell's title. */
export function agoColumn<T>(head: string, time: (row: T) => string): Column<T> {
  return {
    head,
    cellClass: 'muted nowrap',
    title: (row) => fmtTime(time(row)),
    cell: (row) => fmtAgo(time(row)),
  };
}
