import { changeId, type ChangeRecord, type StreamRecord } from './records.ts';
import type { ChangeStore, InsertOutcome } from './store.ts';

/**
 * The log in this process's memory, for tests and benchmarks without a database: the same
 * uniqueness as the MongoDB one (one change per `_id`, so per seq, and one per stream and key),
 * and records copied in and out, so no caller can change what is stored by holding a reference.
 */
export class MemoryChangeStore implements ChangeStore {
  private readonly changes = new Map<string, ChangeRecord>();
  private readonly keys = new Set<string>();
  private readonly streams = new Map<string, StreamRecord>();

  async readAll(stream: string): Promise<ChangeRecord[]> {
    return this.matching((r) => r.stream === stream).sort((a, b) => a.seq - b.seq);
  }

  async at(stream: string, seq: number): Promise<ChangeRecord | null> {
    const record = this.changes.get(changeId(stream, seq));
    return record ? structuredClone(record) : null;
  }

  async present(ids: readonly string[]): Promise<Set<string>> {
    return new Set(ids.filter((id) => this.changes.has(id)));
  }

  async insert(record: ChangeRecord): Promise<InsertOutcome> {
    const key = JSON.stringify([record.stream, record.key]);
    if (this.changes.has(record._id) || this.keys.has(key)) return 'taken';
    this.changes.set(record._id, structuredClone(record));
    this.keys.add(key);
    return 'stored';
  }

  async postHistory(stream: string, postId: string): Promise<ChangeRecord[]> {
    return this.matching((r) => r.stream === stream && r.postId === postId).sort((a, b) => a.seq - b.seq);
  }

  async redact(id: string): Promise<void> {
    const record = this.changes.get(id);
    if (!record) return;
    delete record.post;
    record.purged = true;
  }

  async photosReferred(): Promise<Set<string>> {
    return new Set([...this.changes.values()].flatMap((r) => (r.post?.media ?? []).map((m) => m.id)));
  }

  async stream(slug: string): Promise<StreamRecord | null> {
    const record = this.streams.get(slug);
    return record ? structuredClone(record) : null;
  }

  async insertStream(record: StreamRecord): Promise<InsertOutcome> {
    if (this.streams.has(record._id)) return 'taken';
    this.streams.set(record._id, structuredClone(record));
    return 'stored';
  }

  async listStreams(limit: number): Promise<StreamRecord[]> {
    const newestFirst = [...this.streams.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    return structuredClone(newestFirst.slice(0, limit));
  }

  async countStreams(): Promise<number> {
    return this.streams.size;
  }

  private matching(test: (record: ChangeRecord) => boolean): ChangeRecord[] {
    return [...this.changes.values()].filter(test).map((r) => structuredClone(r));
  }
}
