/** The event-log seam: implemented by the embedded log (log/local) and by Kafka (log/kafka). */

export interface TopicSpec {
  name: string;
  partitions: number;
  /** Delete whole segments older than this. Undefined keeps forever. */
  retentionMs?: number;
  /** Keep at most this many bytes per partition (whole segments are deleted). */
  retentionBytes?: number;
  /**
   * 'compact' keeps the latest record per key (Kafka's log compaction; a null value deletes the key);
   * 'delete' (the default) drops whole segments by retention. The embedded log keeps every record of a
   * compacted topic (a superset of what Kafka keeps), which readers of compacted topics must tolerate.
   */
  cleanupPolicy?: 'delete' | 'compact';
  /** Copies of each partition (Kafka); the embedded log has one. Defaults to the configured factor. */
  replicationFactor?: number;
}

export interface LogRecord {
  /** Decides the partition (Kafka's murmur2 partitioner). Null spreads records over partitions. */
  key: Buffer | null;
  value: Buffer;
  headers?: Record<string, string>;
  /** Milliseconds since the epoch; defaults to now. */
  timestamp?: number;
}

export interface ProducedRecord {
  topic: string;
  partition: number;
  offset: number;
}

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** `offset` is the next offset to read, as in Kafka. */
export interface PartitionOffset extends TopicPartition {
  offset: number;
}

export interface ConsumerOptions {
  group: string;
  topics: string[];
  /** Called before partitions are taken from this consumer, so the caller can flush and commit. */
  onPartitionsRevoked?: (partitions: TopicPartition[]) => Promise<void>;
}

export interface LogConsumer {
  /** Up to maxRecords records, waiting at most timeoutMs for the first one. Ordered per partition. */
  poll(options: { maxRecords: number; timeoutMs: number }): Promise<ConsumedRecord[]>;
  /** Commits the next offsets to read, durably. */
  commit(offsets: PartitionOffset[]): Promise<void>;
  assignment(): TopicPartition[];
  /**
   * Changes whenever the member's read positions restart from the committed offsets (it joined the group
   * again): records polled in an earlier generation may belong to another member by now, and whoever owns
   * them reads them again, so they must be neither counted nor committed. poll() returns only records of
   * the generation current when it returns.
   */
  generation(): number;
  close(): Promise<void>;
}

export interface EventLog {
  readonly kind: 'local' | 'kafka';
  ensureTopic(spec: TopicSpec): Promise<void>;
  listTopics(): Promise<string[]>;
  partitionCount(topic: string): Promise<number>;
  /** Resolves once every record is acknowledged (on disk per the fsync policy; acks=all on Kafka). */
  produce(topic: string, records: LogRecord[]): Promise<ProducedRecord[]>;
  /** First offset still retained, per partition. */
  startOffsets(topic: string): Promise<number[]>;
  /** Next offset to be written, per partition. */
  endOffsets(topic: string): Promise<number[]>;
  /** Committed next-offset per partition; the start offset where the group has committed nothing. */
  committedOffsets(group: string, topic: string): Promise<number[]>;
  /** Sets a group's committed offsets without consuming (used by the sink to catch up to the warehouse). */
  commitOffsets(group: string, offsets: PartitionOffset[]): Promise<void>;
  consumer(options: ConsumerOptions): Promise<LogConsumer>;
  close(): Promise<void>;
}
