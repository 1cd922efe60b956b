import { bucketFromUserdata } from '@krypton-web/sim-check';
import type { Failure, ListPage, ObjectDetails, ObjectRow } from '../worker/api.ts';
import { asFailure } from './session.svelte.ts';
import type { WorkerApi } from './worker-api.ts';

/** The crumbs of a prefix: root, then each folder with the prefix that opens it. */
export function breadcrumbs(prefix: string): { name: string; prefix: string }[] {
  const parts = prefix.split('/').filter(Boolean);
  return parts.map((name, i) => ({ name, prefix: `${parts.slice(0, i + 1).join('/')}/` }));
}

/** The last segment of a key or prefix, as a row shows it. */
export function leafName(keyOrPrefix: string, prefix: string): string {
  return keyOrPrefix.startsWith(prefix) ? keyOrPrefix.slice(prefix.length) : keyOrPrefix;
}

/**
 * Browsing a bucket: prefixes as folders with breadcrumbs, pages of a large bucket (continuation
 * tokens kept for going back), a filter over the page, and one object's details.
 */
export class S3Browser {
  bucket = $state('');
  region = $state('ap-northeast-1');
  fromUserdata = $state(false);
  prefix = $state('');
  page = $state<ListPage | undefined>(undefined);
  /** Continuation tokens of the pages before this one (index 0: the first page, no token). */
  private tokens = $state<(string | undefined)[]>([undefined]);
  pageIndex = $state(0);
  filter = $state('');
  loading = $state(false);
  failure = $state<Failure | undefined>(undefined);
  details = $state<ObjectDetails | undefined>(undefined);
  detailsFailure = $state<Failure | undefined>(undefined);
  readonly pageSize: number;

  readonly crumbs = $derived(breadcrumbs(this.prefix));
  readonly visibleFolders: string[] = $derived((this.page?.prefixes ?? []).filter((p) => matches(leafName(p, this.prefix), this.filter)));
  readonly visibleObjects: ObjectRow[] = $derived(
    (this.page?.objects ?? []).filter((o) => matches(leafName(o.key, this.prefix), this.filter)),
  );
  readonly hasNext = $derived(this.page?.truncated === true && this.page.nextContinuationToken !== undefined);
  readonly hasPrev = $derived(this.pageIndex > 0);

  constructor(pageSize = 200) {
    this.pageSize = pageSize;
  }

  /** Fills bucket and region from the SIM group's userdata, unless the person typed a bucket already. */
  prefill(userdata: string): void {
    const found = bucketFromUserdata(userdata);
    if (!found || this.bucket !== '') return;
    this.bucket = found.bucket;
    if (found.region) this.region = found.region;
    this.fromUserdata = true;
  }

  /** Lists the bucket from its root. */
  open(api: WorkerApi): Promise<void> {
    return this.go(api, '');
  }

  /** Opens a folder (a prefix). */
  go(api: WorkerApi, prefix: string): Promise<void> {
    this.prefix = prefix;
    this.tokens = [undefined];
    this.pageIndex = 0;
    this.filter = '';
    this.details = undefined;
    return this.load(api);
  }

  async next(api: WorkerApi): Promise<void> {
    if (!this.hasNext) return;
    this.tokens = [...this.tokens.slice(0, this.pageIndex + 1), this.page!.nextContinuationToken];
    this.pageIndex++;
    await this.load(api);
  }

  async prev(api: WorkerApi): Promise<void> {
    if (!this.hasPrev) return;
    this.pageIndex--;
    await this.load(api);
  }

  /** Lists the page shown again (after an upload: the new object appears). */
  refresh(api: WorkerApi): Promise<void> {
    return this.load(api);
  }

  async showDetails(api: WorkerApi, key: string): Promise<void> {
    this.detailsFailure = undefined;
    try {
      this.details = await api.headObject(this.bucket.trim(), this.region.trim(), key);
    } catch (e) {
      this.detailsFailure = asFailure(e);
    }
  }

  private async load(api: WorkerApi): Promise<void> {
    this.loading = true;
    this.failure = undefined;
    const token = this.tokens[this.pageIndex];
    try {
      this.page = await api.listObjects({
        bucket: this.bucket.trim(),
        region: this.region.trim(),
        prefix: this.prefix,
        pageSize: this.pageSize,
        ...(token ? { continuationToken: token } : {}),
      });
    } catch (e) {
      this.page = undefined;
      this.failure = asFailure(e);
    } finally {
      this.loading = false;
    }
  }
}

function matches(name: string, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  return f === '' || name.toLowerCase().includes(f);
}
