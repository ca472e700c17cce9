import type { DataSource } from 'typeorm';
import {
  finishPendingImage,
  type ImageStores,
  type LocationRemoval,
  removeLocationData,
} from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import { type ImageLocationEntity, ImagesRepository } from '@cinderflow/persistence';
import { runPool } from './pool';

/** Locations read per query (Glance's REASONABLE_DB_PAGE_SIZE). */
const PAGE = 1000;

export interface ScrubberOptions {
  /** Glance's scrub_time: how long a location stays pending_delete before it is scrubbed. */
  scrubTimeS: number;
  /** Glance's scrub_pool_size. */
  poolSize: number;
  /** Testing aid: a pause between claiming a location and deleting its data. */
  delayMs: number;
}

export interface PassReport {
  /** Locations whose data this pass deleted. */
  removed: number;
  /** Locations whose data was gone already (a pass that died after deleting it). */
  missing: number;
  /** Locations outside our stores (http...), only marked deleted. */
  external: number;
  /** Locations marked deleted whose data another location still names (left in place). */
  kept: number;
  /** Locations another scrubber held, or had finished, when this one came to them. */
  skipped: number;
  /** Locations left as they were because their data could not be deleted; the next pass retries. */
  failed: number;
  /** Images this pass moved pending_delete → deleted. */
  images: number;
}

/**
 * One scrubber process's work (Glance's glance/scrubber.py), safe to run on every node at once:
 * each location is claimed with SELECT ... FOR UPDATE SKIP LOCKED in a short transaction of its
 * own that deletes its data and marks it `deleted`, so two scrubbers never delete the same
 * data, and one that dies mid-way leaves its locations as they were for the next pass.
 */
export class Scrubber {
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly stores: ImageStores,
    private readonly options: ScrubberOptions,
    private readonly logger: Logger,
  ) {}

  /** Ends the pass under way early: no new location is started. */
  stop(): void {
    this.stopping = true;
  }

  /**
   * One pass: the locations pending_delete for longer than the scrub time, the data immediate
   * deletes left behind, then any pending_delete image none of whose locations is pending.
   */
  async pass(): Promise<PassReport> {
    const report: PassReport = {
      removed: 0,
      missing: 0,
      external: 0,
      kept: 0,
      skipped: 0,
      failed: 0,
      images: 0,
    };
    const images = new ImagesRepository(this.dataSource.manager);
    await this.walk(
      'pending',
      (after) => images.pendingDeleteLocations(this.options.scrubTimeS, after, PAGE),
      report,
    );
    await this.walk('leftover', (after) => images.leftoverLocations(after, PAGE), report);
    if (!this.stopping) {
      for (const id of await images.pendingDeleteImagesWithoutPendingLocations(PAGE)) {
        if (await finishPendingImage(this.dataSource, id)) {
          report.images++;
          this.logger.info({ image: id }, 'image scrubbed');
        }
      }
    }
    return report;
  }

  private async walk(
    kind: 'pending' | 'leftover',
    page: (afterId: number) => Promise<ImageLocationEntity[]>,
    report: PassReport,
  ): Promise<void> {
    let after = 0;
    while (!this.stopping) {
      const locations = await page(after);
      if (locations.length === 0) return;
      after = locations[locations.length - 1].id;
      await runPool(
        locations,
        this.options.poolSize,
        (location) => this.scrubOne(location, kind, report),
        () => this.stopping,
      );
    }
  }

  private async scrubOne(
    location: ImageLocationEntity,
    kind: 'pending' | 'leftover',
    report: PassReport,
  ): Promise<void> {
    const fields = { image: location.image_id, location: location.id, kind };
    let removal: Omit<LocationRemoval, 'location'>;
    try {
      removal = await removeLocationData(this.dataSource, this.stores, location.id, kind, {
        skipLocked: true,
        beforeRemove:
          this.options.delayMs > 0
            ? () => new Promise((r) => setTimeout(r, this.options.delayMs))
            : undefined,
      });
    } catch (error) {
      report.failed++;
      this.logger.error(
        { ...fields, err: (error as Error).message },
        'unable to scrub image location; left for the next pass',
      );
      return;
    }
    switch (removal.outcome) {
      case 'skipped':
        report.skipped++;
        return;
      case 'removed':
      case 'missing':
      case 'external':
      case 'kept':
        report[removal.outcome]++;
        break;
      default:
        return;
    }
    this.logger.info(
      { ...fields, outcome: removal.outcome, removed: removal.outcome === 'removed' },
      'image location scrubbed',
    );
    if (removal.imageDeleted) {
      report.images++;
      this.logger.info({ image: location.image_id }, 'image scrubbed');
    }
  }
}
