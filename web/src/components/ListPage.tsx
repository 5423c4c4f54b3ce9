/**
 * A list page (cameras, data sets, models, cases): its title, a card with the list (a loading
 * line, the error, an empty state or the table), then what else the page holds (the card that
 * adds one).
 */
import type { ComponentChildren } from 'preact';
import type { Loaded } from '../hooks';
import { PageHead } from './Layout';
import { Card } from './Fields';
import { ErrorBox, Loading } from './Notice';
import { DataTable, type TableProps } from './Table';

/** The list's table: all but its rows (the list's) and its empty state (the page's). */
export type ListTable<T> = Omit<TableProps<T>, 'rows' | 'empty'>;

interface Props<T> {
  title: string;
  list: Loaded<T[]>;
  /** The list card's title and id. */
  card: string;
  id: string;
  /** "Loading <what>…" */
  what: string;
  empty: ComponentChildren;
  table: ListTable<T>;
  children?: ComponentChildren;
}

export function ListPage<T>({ title, list, card, id, what, empty, table, children }: Props<T>) {
  return (
    <>
      <PageHead title={title} />
      <Card title={card} id={id}>
        <ErrorBox error={list.error} />
        {!list.data ? <Loading what={what} /> : <DataTable {...table} rows={list.data} empty={empty} />}
      </Card>
      {children}
    </>
  );
}
