/**
 * A create that cannot be placed *yet*: no backend this scheduler has heard from can take the
 * volume, but some backends have not reported their capabilities to it (it may have just
 * started) or their heartbeat only just went stale (an outage). Failing the volume would be
 * wrong; the message is retried later (with backoff), for at most one service down-time.
 * Nothing was written.
 */
export class BackendReportsPendingError extends Error {
  override readonly name = 'BackendReportsPendingError';
  /** Retrying may help: for a transport that recognises that without importing this class. */
  readonly transient = true;

  constructor(
    readonly volumeId: string,
    /** The backends (`host@backend`) waited for. */
    readonly backends: readonly string[],
  ) {
    super(
      `Volume ${volumeId} cannot be placed yet: no backend that reported its capabilities can ` +
        `take it, and backend(s) ${backends.join(', ')} have not reported to this scheduler ` +
        `or only just went quiet; retry later`,
    );
  }
}
