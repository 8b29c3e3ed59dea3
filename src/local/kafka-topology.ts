import { join } from 'node:path';

export type KafkaRole = 'broker' | 'controller';

/**
 * Port scheme, relative to one base (default {@link DEFAULT_KAFKA_PORT_BASE} = 19092, chosen to stay
 * clear of a developer's own Kafka on 9092/9093):
 *   broker i     (1-based) listens for clients on    base + (i - 1)        → 19092, 19093, 19094, …
 *   controller j (1-based) listens for the quorum on base + 100 + (j - 1)  → 19192, 19193, 19194, …
 * The single combined node of the default stack uses base (clients) and base + 100 (quorum).
 * Node ids follow the same split: brokers 1…B, controllers 101…100+C, the combined node 1, so an
 * id in a log line says which kind of process wrote it.
 */
export const DEFAULT_KAFKA_PORT_BASE = 19092;
export const CONTROLLER_PORT_OFFSET = 100;
export const CONTROLLER_ID_OFFSET = 100;
/** A local stack on one machine; also keeps broker ports below the controller range. */
export const MAX_NODES_PER_ROLE = 9;

export const DEFAULT_HEAP_MB = { broker: 384, controller: 256, combined: 512 } as const;

export interface KafkaTopologyOptions {
  readonly controllers: number;
  readonly brokers: number;
  readonly portBase: number;
  /** `<stack>/data/kafka`; each node gets `<dataDir>/<name>/`. */
  readonly dataDir: string;
  readonly heapMb?: Partial<Record<'broker' | 'controller' | 'combined', number>>;
  /** Appended to (and overriding) every node's generated properties. */
  readonly extraProperties?: Readonly<Record<string, string>>;
}

export interface KafkaNodePlan {
  /** `kafka-1` (combined), `controller-<j>`, `broker-<i>`; also the log, pid and data names. */
  readonly name: string;
  readonly nodeId: number;
  readonly roles: readonly KafkaRole[];
  readonly brokerPort: number | undefined;
  readonly controllerPort: number | undefined;
  /** `<dataDir>/<name>`: holds server.properties and log/. Its path marks the process as ours. */
  readonly dir: string;
  readonly configFile: string;
  readonly logDir: string;
  readonly heapMb: number;
}

export interface KafkaTopology {
  readonly controllers: number;
  readonly brokers: number;
  readonly combined: boolean;
  readonly nodes: readonly KafkaNodePlan[];
  /** `host:port,…` of every broker: the KAFKA_BROKERS value. */
  readonly bootstrapServers: string;
  /** `controller.quorum.voters` value (`id@host:port,…`). */
  readonly quorumVoters: string;
  readonly warnings: readonly string[];
  readonly extraProperties: Readonly<Record<string, string>>;
}

const HOST = '127.0.0.1';

/** Why these counts cannot make a stack, or undefined when they can. */
export function validateCounts(controllers: number, brokers: number): string | undefined {
  for (const [what, n] of [['controllers', controllers], ['brokers', brokers]] as const) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_NODES_PER_ROLE) {
      return `${what} must be a whole number from 1 to ${MAX_NODES_PER_ROLE} (got ${String(n)})`;
    }
  }
  return undefined;
}

export function validatePortBase(portBase: number): string | undefined {
  const highest = portBase + CONTROLLER_PORT_OFFSET + MAX_NODES_PER_ROLE - 1;
  if (!Number.isInteger(portBase) || portBase < 1024 || highest > 65535) {
    return `the Kafka port base must be a whole number from 1024 to ${65535 - CONTROLLER_PORT_OFFSET - MAX_NODES_PER_ROLE + 1} (got ${String(portBase)})`;
  }
  return undefined;
}

function quorumWarnings(controllers: number): string[] {
  if (controllers === 2) {
    return [
      '2 controllers form a quorum of 2 voters whose majority is 2, so losing either controller stops all ' +
        'metadata changes (topic creation, leader election, broker registration): more processes, no more ' +
        'fault tolerance than 1. Use 3 controllers to survive the loss of one.',
    ];
  }
  if (controllers > 2 && controllers % 2 === 0) {
    const tolerated = Math.floor((controllers - 1) / 2);
    return [`${controllers} controllers tolerate the loss of ${tolerated}, the same as ${controllers - 1}; an odd count gives the same safety with fewer processes.`];
  }
  return [];
}

/** Plans the Kafka processes for the given counts. Pure: no I/O. */
export function planKafkaTopology(opts: KafkaTopologyOptions): KafkaTopology {
  const problem = validateCounts(opts.controllers, opts.brokers) ?? validatePortBase(opts.portBase);
  if (problem !== undefined) throw new RangeError(problem);

  const heap = { ...DEFAULT_HEAP_MB, ...opts.heapMb };
  const node = (name: string, nodeId: number, roles: KafkaRole[], brokerPort: number | undefined, controllerPort: number | undefined, heapMb: number): KafkaNodePlan => {
    const dir = join(opts.dataDir, name);
    return { name, nodeId, roles, brokerPort, controllerPort, dir, configFile: join(dir, 'server.properties'), logDir: join(dir, 'log'), heapMb };
  };

  const combined = opts.controllers === 1 && opts.brokers === 1;
  const nodes: KafkaNodePlan[] = [];
  if (combined) {
    nodes.push(node('kafka-1', 1, ['broker', 'controller'], opts.portBase, opts.portBase + CONTROLLER_PORT_OFFSET, heap.combined));
  } else {
    // Controllers first: brokers cannot register until a quorum leader exists, and `down` walks this list backwards.
    for (let j = 1; j <= opts.controllers; j++) {
      nodes.push(node(`controller-${j}`, CONTROLLER_ID_OFFSET + j, ['controller'], undefined, opts.portBase + CONTROLLER_PORT_OFFSET + j - 1, heap.controller));
    }
    for (let i = 1; i <= opts.brokers; i++) {
      nodes.push(node(`broker-${i}`, i, ['broker'], opts.portBase + i - 1, undefined, heap.broker));
    }
  }

  const bootstrapServers = nodes
    .filter((n) => n.brokerPort !== undefined)
    .map((n) => `${HOST}:${n.brokerPort}`)
    .join(',');
  const quorumVoters = nodes
    .filter((n) => n.controllerPort !== undefined)
    .map((n) => `${n.nodeId}@${HOST}:${n.controllerPort}`)
    .join(',');

  return {
    controllers: opts.controllers,
    brokers: opts.brokers,
    combined,
    nodes,
    bootstrapServers,
    quorumVoters,
    warnings: quorumWarnings(opts.controllers),
    extraProperties: { ...opts.extraProperties },
  };
}

/** The server.properties text for one node. Pure. */
export function serverProperties(topology: KafkaTopology, node: KafkaNodePlan): string {
  const isBroker = node.roles.includes('broker');
  const isController = node.roles.includes('controller');
  const listeners: string[] = [];
  if (isBroker) listeners.push(`PLAINTEXT://${HOST}:${node.brokerPort}`);
  if (isController) listeners.push(`CONTROLLER://${HOST}:${node.controllerPort}`);

  const props: Record<string, string> = {
    'process.roles': node.roles.join(','),
    'node.id': String(node.nodeId),
    // A static voter set: every node knows the quorum from its config, so formatting needs no
    // per-controller directory ids and a restart with new ports just works.
    'controller.quorum.voters': topology.quorumVoters,
    listeners: listeners.join(','),
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': node.logDir,
  };
  if (isBroker) {
    const rf = Math.min(3, topology.brokers);
    const minIsr = Math.min(2, rf);
    Object.assign(props, {
      'advertised.listeners': `PLAINTEXT://${HOST}:${node.brokerPort}`,
      'inter.broker.listener.name': 'PLAINTEXT',
      // Kafka's defaults (RF 3) cannot be met by fewer than 3 brokers; the internal topics would never be created.
      'default.replication.factor': String(rf),
      'offsets.topic.replication.factor': String(rf),
      'transaction.state.log.replication.factor': String(rf),
      'transaction.state.log.min.isr': String(minIsr),
      'share.coordinator.state.topic.replication.factor': String(rf),
      'share.coordinator.state.topic.min.isr': String(minIsr),
      // 50 partitions each is sized for production; locally it only slows the first group join / transaction.
      'offsets.topic.num.partitions': '10',
      'transaction.state.log.num.partitions': '10',
      // Consumers of a local stack are started by hand or by tests; waiting 3 s for more members only slows them.
      'group.initial.rebalance.delay.ms': '0',
    });
  }
  Object.assign(props, topology.extraProperties);

  const header = [
    `# Written by \`ridehail local up\` for ${node.name} (${node.roles.join('+')}); rewritten on every start.`,
    `# Put lasting changes in the stack's options, not here.`,
  ];
  return [...header, ...Object.entries(props).map(([k, v]) => `${k}=${v}`), ''].join('\n');
}

export interface KafkaJvmOptions {
  readonly classpath: string;
  readonly log4jConfig: string;
  readonly logsDir: string;
}

/** JVM flags shared by the server and the storage format tool. */
function commonJvmArgs(name: string, heapMb: number, jvm: KafkaJvmOptions, quickJit: boolean): string[] {
  return [
    `-Xmx${heapMb}m`,
    `-Xms${Math.min(heapMb, 64)}m`,
    // Serial GC: several small JVMs share a laptop's cores; parallel GC threads would only fight each other.
    '-XX:+UseSerialGC',
    // The C1 compiler alone starts a JVM with ~40% less CPU; right for short-lived tools and for
    // controllers, which only handle metadata. Brokers keep C2 for throughput.
    ...(quickJit ? ['-XX:TieredStopAtLevel=1'] : []),
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${jvm.log4jConfig}`,
    `-Dridehail.log.dir=${jvm.logsDir}`,
    `-Dridehail.node=${name}`,
    '-cp',
    jvm.classpath,
  ];
}

/** `java` arguments that run one node (its config path identifies the process as ours). */
export function kafkaServerArgs(node: KafkaNodePlan, jvm: KafkaJvmOptions): string[] {
  return [...commonJvmArgs(node.name, node.heapMb, jvm, !node.roles.includes('broker')), 'kafka.Kafka', node.configFile];
}

/** `java` arguments that format one node's storage for the given cluster id; a no-op when already formatted. */
export function kafkaFormatArgs(node: KafkaNodePlan, clusterId: string, jvm: KafkaJvmOptions): string[] {
  return [...commonJvmArgs(`${node.name}-format`, 256, jvm, true), 'kafka.tools.StorageTool', 'format', '--ignore-formatted', '-t', clusterId, '-c', node.configFile];
}
