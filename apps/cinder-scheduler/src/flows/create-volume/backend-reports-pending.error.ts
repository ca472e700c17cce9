/**
 * A create that cannot be placed *yet*: no backend this scheduler has heard from can take the
 * volume, but some live backends (fresh heartbeat in `services`) have not reported their
 * capabilities to it — it may have just started. Failing the volume would be wrong; the message
 * is to be retried later (with backoff), when their reports have arrived. Nothing was written.
 */
export class BackendReportsPendingError extends Error {
  override readonly name = 'BackendReportsPendingError';
  /** Retrying may help: for a transport that recognises that without importing this class. */
  readonly transient = true;

  constructor(
    readonly volumeId: string,
    /** The live backends (`host@backend`) that have not reported. */
    readonly backends: readonly string[],
  ) {
    super(
      `Volume ${volumeId} cannot be placed yet: no backend that reported its capabilities can ` +
        `take it, and live backend(s) ${backends.join(', ')} have not reported to this ` +
        `scheduler yet; retry later`,
    );
  }
}
