import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KafkaDist } from './kafka-dist.js';

const execFileAsync = promisify(execFile);

export interface QuorumStatus {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly voterIds: readonly number[];
}

/** Parses the output of `kafka-metadata-quorum describe --status`. */
export function parseQuorumStatus(text: string): QuorumStatus {
  const field = (name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const leaderId = Number(field('LeaderId'));
  const leaderEpoch = Number(field('LeaderEpoch'));
  if (!Number.isInteger(leaderId)) throw new Error(`no LeaderId in quorum status:\n${text}`);
  const voters = field('CurrentVoters') ?? '';
  const voterIds = [...voters.matchAll(/"id":\s*(\d+)/g)].map((m) => Number(m[1]));
  return { leaderId, leaderEpoch, voterIds };
}

/**
 * Which controller leads the KRaft quorum. Kafka clients cannot tell (in KRaft the "controller" in
 * metadata responses is a random broker), so this runs Kafka's own MetadataQuorumCommand: a JVM
 * start, a second or two.
 */
export async function describeQuorum(opts: { java: string; dist: KafkaDist; logsDir: string; bootstrapServers: string }): Promise<QuorumStatus> {
  const { stdout } = await execFileAsync(
    opts.java,
    [
      '-Xmx128m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Dlog4j2.configurationFile=${opts.dist.log4jConfig}`,
      `-Dridehail.log.dir=${opts.logsDir}`,
      '-Dridehail.node=tools',
      '-cp',
      opts.dist.classpath,
      'org.apache.kafka.tools.MetadataQuorumCommand',
      '--bootstrap-server',
      opts.bootstrapServers,
      'describe',
      '--status',
    ],
    { timeout: 60_000 },
  );
  return parseQuorumStatus(stdout);
}
