import { FileStore, type FileStoreOptions } from './file-store';

/** A store the request named that is not configured (Glance: 400 "... is not a valid store"). */
export class UnknownStoreError extends Error {
  constructor(readonly storeId: string) {
    super(`Store for identifier ${storeId} not found`);
    this.name = 'UnknownStoreError';
  }
}

/** Glance's `enabled_backends`: every configured store, and the default one. */
export class ImageStores {
  private readonly byId: Map<string, FileStore>;
  readonly defaultStore: FileStore;

  constructor(
    configs: ReadonlyArray<{ id: string; dir: string }>,
    defaultId = '',
    options: FileStoreOptions = {},
  ) {
    this.byId = new Map(configs.map(({ id, dir }) => [id, new FileStore(id, dir, options)]));
    const first = configs[0];
    if (!first) throw new Error('no image store configured');
    const chosen = this.byId.get(defaultId || first.id);
    if (!chosen) throw new UnknownStoreError(defaultId);
    this.defaultStore = chosen;
  }

  all(): FileStore[] {
    return [...this.byId.values()];
  }

  get(id: string): FileStore {
    const store = this.byId.get(id);
    if (!store) throw new UnknownStoreError(id);
    return store;
  }

  /** The store a location's URL lives in, if any configured one. */
  forUri(uri: string): FileStore | undefined {
    return this.all().find((store) => store.owns(uri));
  }
}
