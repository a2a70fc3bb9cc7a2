// Following the services' keyset cursors (`{data, next_cursor}`) to read a whole list.

export interface CursorPage<T> {
  data: T[];
  next_cursor?: string | null;
}

/** Every item of a cursor-paginated list; `fetchPage(cursor)` reads one page. */
export async function listAll<T>(
  fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>,
  maxPages = 50,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const body = await fetchPage(cursor);
    items.push(...body.data);
    cursor = body.next_cursor || undefined;
    if (!cursor) break;
  }
  return items;
}
