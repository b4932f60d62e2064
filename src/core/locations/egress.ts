/**
 * --max-egress: the bytes each bucket location may send this run, shared
 * by every copy in it (full reads, samples, re-reads of bad blocks). Local
 * folders cost nothing and are not counted. Reservations are taken before
 * a read starts, so copies checked at once never overspend together.
 */
export class EgressBudget {
  private readonly spent = new Map<string, number>();

  constructor(readonly perLocation: number) {}

  left(location: string): number {
    return Math.max(0, this.perLocation - (this.spent.get(location) ?? 0));
  }

  /** Reserves `bytes` if they fit in what is left; false (and nothing reserved) if not. */
  take(location: string, bytes: number): boolean {
    if (bytes > this.left(location)) return false;
    this.spent.set(location, (this.spent.get(location) ?? 0) + bytes);
    return true;
  }

  /** Gives back what a reservation did not use (a read that ended early). */
  refund(location: string, bytes: number): void {
    this.spent.set(location, Math.max(0, (this.spent.get(location) ?? 0) - bytes));
  }

  spentIn(location: string): number {
    return this.spent.get(location) ?? 0;
  }
}
