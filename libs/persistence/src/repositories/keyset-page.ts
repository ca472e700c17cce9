import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';

export interface SortKey {
  /** A SQL expression over the query's alias, never NULL. */
  column: string;
  direction: 'asc' | 'desc';
}

/** One page of a list: keyset paging after `marker`, in `sort` order. */
export interface PageRequest {
  sort: SortKey[];
  limit: number;
  marker?: string;
  /** Also count every row the filters match (Cinder's `with_count`). */
  withCount?: boolean;
  /** The error for a marker that is not one of the rows listed (the API's 404). */
  markerNotFound: (marker: string) => Error;
}

export interface Page<T> {
  rows: T[];
  count?: number;
}

/**
 * Adds ORDER BY, the marker condition and LIMIT for keyset pagination (Cinder's
 * paginate_query): rows strictly after the marker in the requested order, with the id as the
 * final tie-breaker so that pages never overlap or skip. Sort expressions must never be NULL
 * (COALESCE nullable columns), or rows beside a NULL would fall out of every page. A marker that is not one of the rows
 * listed is Cinder's not-found of that resource (`markerNotFound`, e.g. "Backup x could not be
 * found.": Cinder looks the marker up with the resource's own get).
 */
export async function applyKeysetPage<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  sort: SortKey[],
  limit: number,
  marker: string | undefined,
  markerNotFound: (marker: string) => Error,
): Promise<SelectQueryBuilder<T>> {
  const keys = [...sort.map((s) => ({ expr: s.column, direction: s.direction }))];
  if (!sort.some((s) => s.column === `${alias}.id`)) {
    keys.push({ expr: `${alias}.id`, direction: sort[sort.length - 1]?.direction ?? 'desc' });
  }
  let markerValues: Array<string | null> | undefined;
  if (marker !== undefined) {
    // The marker's values come back as text and go back as untyped parameters, which
    // PostgreSQL reads as the column's type: a timestamp keeps its microseconds (a JS Date
    // would keep milliseconds only, and the next page would repeat or skip rows).
    const markerQuery = qb.clone().select([]).orderBy();
    keys.forEach((key, i) => markerQuery.addSelect(`(${key.expr})::text`, `k${i}`));
    const values = await markerQuery
      .andWhere(`${alias}.id::text = :marker`, { marker })
      .getRawOne<Record<string, string | null>>();
    if (!values) {
      throw markerNotFound(marker);
    }
    markerValues = keys.map((_, i) => values[`k${i}`]);
  }
  return applyKeysetAfter(
    qb,
    keys.map((key) => ({ column: key.expr, direction: key.direction })),
    markerValues,
    limit,
  );
}

/**
 * ORDER BY `keys`, LIMIT, and with the marker's values (as text, one per key) only the rows
 * strictly after it in that order. The keys must end with a unique one (the id) and never be
 * NULL.
 */
export function applyKeysetAfter<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  keys: SortKey[],
  markerValues: Array<string | null> | undefined,
  limit: number,
): SelectQueryBuilder<T> {
  if (markerValues !== undefined) {
    const disjuncts = keys.map((key, i) => {
      const equal = keys.slice(0, i).map((k, j) => `${k.column} = :k${j}`);
      const beyond = `${key.column} ${key.direction === 'asc' ? '>' : '<'} :k${i}`;
      return `(${[...equal, beyond].join(' AND ')})`;
    });
    qb.andWhere(
      `(${disjuncts.join(' OR ')})`,
      Object.fromEntries(keys.map((_, i) => [`k${i}`, markerValues[i]])),
    );
  }
  qb.orderBy();
  for (const key of keys) {
    qb.addOrderBy(key.column, key.direction === 'asc' ? 'ASC' : 'DESC');
  }
  return qb.limit(limit);
}

/** Counts (if asked) and fetches one page of the query. */
export async function fetchPage<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  page: PageRequest,
): Promise<Page<T>> {
  const count = page.withCount ? await qb.clone().getCount() : undefined;
  await applyKeysetPage(qb, alias, page.sort, page.limit, page.marker, page.markerNotFound);
  return { rows: await qb.getMany(), count };
}
