import { parentPort, workerData } from 'node:worker_threads';
import { ProducerCore, serializeError, type ProducerRequest, type ProducerSetup } from './kafka-producer.js';

/** Entry of the Kafka producer's thread (see kafka-producer.ts); started by KafkaSink. */

if (!parentPort) throw new Error('kafka-worker.js runs as a worker thread of KafkaSink');
const port = parentPort;
const core = new ProducerCore(workerData as ProducerSetup);

port.on('message', (message: { id: number; request: ProducerRequest }) => {
  core.handle(message.request).then(
    (value) => port.postMessage({ id: message.id, ok: true, value }),
    (error: unknown) => port.postMessage({ id: message.id, ok: false, error: serializeError(error) }),
  );
});
